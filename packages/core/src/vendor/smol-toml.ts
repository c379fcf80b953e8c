// Core's only door to smol-toml, bundled into core's own modules at build time (scripts/bundle-dist.mjs).
export { parse, TomlError } from "smol-toml";
