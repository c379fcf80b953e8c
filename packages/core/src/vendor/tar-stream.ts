// Core's only door to tar-stream and its dependencies (streamx, b4a...), bundled into core's own
// modules at build time (scripts/bundle-dist.mjs).
import tar from "tar-stream";

export const extractTar = tar.extract;
export type TarHeader = tar.Header;
