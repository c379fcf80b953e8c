import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { dockerErrorCatalog } from "../src/index.js";

const root = resolve(import.meta.dirname, "../../..");
const readme = readFileSync(join(root, "packages/builder-docker/README.md"), "utf8");

describe("the docs of @hop3/builder-docker", () => {
  it.each(Object.keys(dockerErrorCatalog))("%s has its page and a README row", (code) => {
    const info = dockerErrorCatalog[code as keyof typeof dockerErrorCatalog];
    const page = join(root, "docs/errors", `${code}.md`);
    expect(existsSync(page), `docs/errors/${code}.md`).toBe(true);
    const text = readFileSync(page, "utf8");
    expect(text.split("\n")[0]).toBe(`# ${code}`);
    expect(text.split("\n")[2]).toBe(info.title);
    for (const section of ["## What happened", "## Why", "## What to do", "## Example"]) expect(text, section).toContain(`\n${section}\n`);
    expect(text.replace(/\s+/g, " ")).toContain(info.hint);
    expect(text).toContain(`error[${code}]: `);
    expect(readme).toContain(`(../../docs/errors/${code}.md)`);
  });

  it("documents every option and [docker] key", () => {
    for (const option of ["docker", "timeoutSeconds", "network", "defaultPort", "priority"]) expect(readme, option).toContain(`| \`${option}\` |`);
    for (const key of ["dockerfile", "port", "target", "build-args"]) expect(readme, key).toContain(`| \`${key}\` |`);
  });
});
