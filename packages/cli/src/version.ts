import { readFileSync } from "node:fs";

/** This package's version, read from its package.json (src/ and dist/ are both one level down). */
export const CLI_VERSION: string = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;
