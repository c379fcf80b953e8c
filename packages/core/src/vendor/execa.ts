// Core's only door to execa and its dependencies, some 150 files loaded by the first command Hop3
// runs; bundled into one module at build time (scripts/bundle-vendor.mjs).
export { execa } from "execa";
