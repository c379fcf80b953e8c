import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { coreErrorCatalog, PUBLISHED_SCHEMAS, renderSchema } from "@hop3/core";

const root = resolve(import.meta.dirname, "..", "..", "..");

describe("docs/schemas", () => {
  it.each(Object.keys(PUBLISHED_SCHEMAS))("%s is the one the validators use (run `pnpm schemas` after a change)", (file) => {
    const published = readFileSync(join(root, "docs", "schemas", file), "utf8");
    expect(published).toBe(renderSchema(PUBLISHED_SCHEMAS[file]!));
  });
});

describe("docs/errors", () => {
  it.each(Object.keys(coreErrorCatalog))("%s has its page and a line in the index", (code) => {
    const page = join(root, "docs", "errors", `${code}.md`);
    expect(existsSync(page), `docs/errors/${code}.md`).toBe(true);
    const text = readFileSync(page, "utf8");
    expect(text.split("\n")[0]).toBe(`# ${code}`);
    // The page says what the code says: its title, and its hint word for word.
    expect(text.split("\n")[2]).toBe(coreErrorCatalog[code as keyof typeof coreErrorCatalog].title);
    expect(text.replace(/\s+/g, " ")).toContain(coreErrorCatalog[code as keyof typeof coreErrorCatalog].hint);
    expect(readFileSync(join(root, "docs", "errors", "README.md"), "utf8")).toContain(`(${code}.md)`);
  });
});

describe("@hop3/core stands alone", () => {
  it("depends on no plugin package", () => {
    const manifest = JSON.parse(readFileSync(join(root, "packages", "core", "package.json"), "utf8"));
    const deps = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies });
    expect(deps.filter((name) => name.startsWith("@hop3/"))).toEqual([]);
  });

  it("imports no @hop3 package from its sources", () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/from "@hop3\//.test(readFileSync(path, "utf8"))) offenders.push(path);
      }
    };
    walk(join(root, "packages", "core", "src"));
    expect(offenders).toEqual([]);
  });
});
