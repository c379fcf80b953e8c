// Core's only door to smol-toml, bundled into one module at build time (scripts/bundle-vendor.mjs).
export { parse, TomlError } from "smol-toml";
