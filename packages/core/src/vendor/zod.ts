// Core's and the first-party plugins' only door to zod, bundled into one module at build time
// (scripts/bundle-vendor.mjs): zod is about 100 files, and every `hop3` command loads it.
export { z } from "zod";
