// Core's only door to execa and its dependencies, some 150 files loaded by the first command Hop3
// runs; bundled into core's own modules at build time (scripts/bundle-dist.mjs).
export { execa } from "execa";
