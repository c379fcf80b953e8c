// Core's and the first-party plugins' only door to zod, bundled into core's own modules at build
// time (scripts/bundle-dist.mjs): zod is about 100 files, and every `hop3` command loads it.
export { z } from "zod";
