import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import * as cliEntry from "../src/cli.js";
import * as mainEntry from "../src/index.js";

const src = resolve(import.meta.dirname, "..", "src");

/** The packages (not node: built-ins) a module of src loads, itself and through every relative import, type-only imports aside. */
function packagesLoadedBy(file: string): Map<string, string> {
  const loaded = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const text = readFileSync(path, "utf8");
    for (const match of text.matchAll(/^(?:import|export)(?!\s+type\b)[^;]*?from\s+"([^"]+)"|^import\s+"([^"]+)"/gms)) {
      const specifier = (match[1] ?? match[2])!;
      if (specifier.startsWith(".")) visit(resolve(dirname(path), specifier.replace(/\.js$/, ".ts")));
      else if (!specifier.startsWith("node:")) loaded.set(specifier, path.slice(src.length + 1));
    }
  };
  visit(join(src, file));
  return loaded;
}

describe("@hop3/core/cli", () => {
  it("loads none of the packages the pipeline needs (each hop3 run, client or server, pays for what it imports)", () => {
    expect(Object.fromEntries(packagesLoadedBy("cli.ts"))).toEqual({});
  });

  it("is the main entry's names: one home for each", () => {
    for (const [name, value] of Object.entries(cliEntry)) expect(mainEntry[name as keyof typeof mainEntry], name).toBe(value);
  });

  it("the check finds what the main entry loads", () => {
    expect([...packagesLoadedBy("index.ts").keys()]).toEqual(expect.arrayContaining(["zod", "@sinclair/typebox", "tsyringe", "smol-toml"]));
  });
});
