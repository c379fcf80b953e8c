import { createRequire } from "node:module";

/**
 * This package's version. Read from a module at the top of src/ because that is where its code sits
 * both as source and once bundled (dist/*.js): `../package.json` is right from either.
 */
export const coreVersion = (): string => (createRequire(import.meta.url)("../package.json") as { version: string }).version;
