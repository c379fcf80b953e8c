// Core's only door to tsyringe and its reflect-metadata polyfill, bundled into one module at build
// time (scripts/bundle-vendor.mjs): loaded as some 35 files they cost every `hop3` command 0.09 s.
import "reflect-metadata";
export { container, inject, injectAll, injectable, Lifecycle, singleton, type DependencyContainer, type InjectionToken } from "tsyringe";
