import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const packagesDir = resolve(import.meta.dirname, "..", "..");

/** `@hop3/<pkg>[/<sub>]` to its source file, through the package's `@hop3/source` export. */
function workspaceSource(specifier: string): string | undefined {
  const [, pkg, sub] = /^@hop3\/([^/]+)(?:\/(.+))?$/.exec(specifier) ?? [];
  if (pkg === undefined || !existsSync(join(packagesDir, pkg, "package.json"))) return undefined;
  const exports = JSON.parse(readFileSync(join(packagesDir, pkg, "package.json"), "utf8")).exports as Record<string, { "@hop3/source"?: string }>;
  const source = exports[sub === undefined ? "." : `./${sub}`]?.["@hop3/source"];
  return source === undefined ? undefined : join(packagesDir, pkg, source);
}

/**
 * Every file a module loads before its first dynamic import: static imports followed through
 * relative paths and the workspace's @hop3 packages (type-only imports aside), with the other
 * packages reached, each with the file that imports it.
 */
function staticGraph(entry: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const visit = (path: string) => {
    if (files.has(path)) return;
    files.add(path);
    const text = readFileSync(path, "utf8");
    for (const match of text.matchAll(/^(?:import|export)(?!\s+type\b)[^;]*?from\s+"([^"]+)"|^import\s+"([^"]+)"/gms)) {
      const specifier = (match[1] ?? match[2])!;
      if (specifier.startsWith(".")) visit(resolve(dirname(path), specifier.replace(/\.js$/, ".ts")));
      else if (specifier.startsWith("@hop3/") && workspaceSource(specifier)) visit(workspaceSource(specifier)!);
      else if (!specifier.startsWith("node:")) packages.set(specifier, path.slice(packagesDir.length + 1));
    }
  };
  visit(entry);
  return { files, packages };
}

const PIPELINE_PACKAGES = ["zod", "@sinclair/typebox", "tsyringe", "smol-toml"];

describe("what `hop3` loads before it knows its command", () => {
  // Every run pays for it: a client forwarding a command over SSH, and the server answering it.
  it("is neither core's main entry nor the packages the pipeline needs", () => {
    const { files, packages } = staticGraph(join(packagesDir, "cli", "src", "main.ts"));
    expect([...files].filter((file) => file === join(packagesDir, "core", "src", "index.ts"))).toEqual([]);
    expect(Object.fromEntries([...packages].filter(([name]) => PIPELINE_PACKAGES.includes(name)))).toEqual({});
  });

  // The SSH connection of a command bound for a remote starts before anything else loads.
  it("the early connection loads node's own modules and nothing of Hop3's but its own files", () => {
    const { files, packages } = staticGraph(join(packagesDir, "remote", "src", "early.ts"));
    expect([...packages.keys()]).toEqual([]);
    expect([...files].map((file) => file.slice(packagesDir.length + 1)).sort()).toEqual(["remote/src/address.ts", "remote/src/early.ts", "remote/src/master.ts", "remote/src/remote-commands.ts"]);
  });

  it("the check finds what core's main entry loads", () => {
    expect([...staticGraph(join(packagesDir, "core", "src", "index.ts")).packages.keys()]).toEqual(expect.arrayContaining(PIPELINE_PACKAGES));
  });
});
