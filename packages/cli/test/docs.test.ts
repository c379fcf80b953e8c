import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { cliErrorCatalog, type CliErrorCode } from "../src/errors.js";

const root = resolve(import.meta.dirname, "..", "..", "..");
const errorsDir = join(root, "docs", "errors");

describe("docs/errors for @hop3/cli", () => {
  it.each(Object.keys(cliErrorCatalog) as CliErrorCode[])("%s has its page and a line in the index", (code) => {
    const page = join(errorsDir, `${code}.md`);
    expect(existsSync(page), `docs/errors/${code}.md`).toBe(true);
    const text = readFileSync(page, "utf8");
    const lines = text.split("\n");
    expect(lines[0]).toBe(`# ${code}`);
    // The page says what the code says: its title, and its hint word for word (wrapping allowed).
    expect(lines[2]).toBe(cliErrorCatalog[code].title);
    expect(text.replace(/\s+/g, " ")).toContain(cliErrorCatalog[code].hint.replace(/\s+/g, " "));
    expect(readFileSync(join(errorsDir, "README.md"), "utf8")).toContain(`(${code}.md)`);
  });
});
