import { createRequire } from "node:module";
import type { Ignore, Options } from "ignore";
import type * as TarStream from "tar-stream";

// tar-stream and ignore are CommonJS. Required rather than imported, they skip Node's translation of
// CommonJS into ES modules, whose export lexer costs about 50 ms at every start of hop3; required on
// first use, a command that sends no archive never loads them.
const require = createRequire(import.meta.url);

/** tar-stream's pack and extract. */
export const tarStream = (): typeof TarStream => require("tar-stream") as typeof TarStream;

/** A new set of .gitignore rules (the `ignore` package). */
export const ignoreRules = (options?: Options): Ignore => (require("ignore") as (options?: Options) => Ignore)(options);
