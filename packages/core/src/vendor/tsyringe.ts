// Core's only door to tsyringe and its reflect-metadata polyfill, bundled into core's own modules at
// build time (scripts/bundle-dist.mjs): loaded as some 35 files they cost every `hop3` command 0.09 s.
import "reflect-metadata";
export { container, inject, injectAll, injectable, Lifecycle, singleton, type DependencyContainer, type InjectionToken } from "tsyringe";
