import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { createDistribution, definePlugin, Hop3Error, loadPlugin, loadPlugins } from "@hop3/core";

function installed(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "hop3-loader-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const plugin = (name: string) => `export default { name: ${JSON.stringify(name)}, apiVersion: 1, register(registry) {} };\n`;

describe("loadPlugins", () => {
  it("resolves each name from the first place that has it, a directory or a module URL, and keeps the order", async () => {
    const project = installed({
      "node_modules/hop3-plugin-a/package.json": JSON.stringify({ name: "hop3-plugin-a", type: "module", main: "index.js" }),
      "node_modules/hop3-plugin-a/index.js": plugin("hop3-plugin-a"),
    });
    const distribution = installed({
      "node_modules/@acme/hop3-b/package.json": JSON.stringify({ name: "@acme/hop3-b", type: "module", exports: { ".": { import: "./lib/b.js" } } }),
      "node_modules/@acme/hop3-b/lib/b.js": plugin("@acme/hop3-b"),
      "node_modules/hop3-plugin-a/package.json": JSON.stringify({ name: "hop3-plugin-a", type: "module", main: "index.js" }),
      "node_modules/hop3-plugin-a/index.js": plugin("not the project's copy"),
      "bin/main.js": "",
    });
    const loaded = await loadPlugins(
      [
        { name: "@acme/hop3-b", origin: "test" },
        { name: "hop3-plugin-a", origin: "test" },
      ],
      { searchFrom: [project, pathToFileURL(join(distribution, "bin/main.js"))] },
    );
    expect(loaded.map((l) => l.plugin.name)).toEqual(["@acme/hop3-b", "hop3-plugin-a"]);
    expect(loaded[0]!.entry).toBe(join(distribution, "node_modules/@acme/hop3-b/lib/b.js"));
  });

  it("calls a factory export, and lets its coded errors through", async () => {
    const root = installed({
      "node_modules/hop3-plugin-f/package.json": JSON.stringify({ name: "hop3-plugin-f", type: "module", main: "index.js" }),
      "node_modules/hop3-plugin-f/index.js": `export const hop3Plugin = () => ({ name: "made", apiVersion: 1, register() {} });\n`,
    });
    const { plugin: made } = await loadPlugin({ name: "hop3-plugin-f", origin: "test" }, { searchFrom: [root] });
    expect(made.name).toBe("made");
  });

  it("raises PLUGIN_INVALID when the factory throws something uncoded", async () => {
    const root = installed({
      "node_modules/hop3-plugin-x/package.json": JSON.stringify({ name: "hop3-plugin-x", type: "module", main: "index.js" }),
      "node_modules/hop3-plugin-x/index.js": `export default () => { throw new Error("boom"); };\n`,
    });
    const error = await loadPlugin({ name: "hop3-plugin-x", origin: "HOP3_PLUGINS" }, { searchFrom: [root] }).catch((e: unknown) => e);
    expect(Hop3Error.is(error) && [error.code, error.message]).toEqual(["PLUGIN_INVALID", 'Plugin package "hop3-plugin-x" (from HOP3_PLUGINS): its plugin factory failed: boom']);
  });
});

describe("Distribution.withPlugins", () => {
  it("returns a new distribution with the added plugins last, and leaves the first as it was", () => {
    const base = createDistribution({ plugins: [definePlugin({ name: "base", apiVersion: 1, register: () => {} })] });
    const added = base.withPlugins([{ plugin: definePlugin({ name: "extra", apiVersion: 1, version: "1.0.0", register: () => {} }), origin: "HOP3_PLUGINS" }]);
    expect(added.plugins).toEqual([
      { name: "base", apiVersion: 1, order: 1, origin: "distribution" },
      { name: "extra", apiVersion: 1, version: "1.0.0", order: 2, origin: "HOP3_PLUGINS" },
    ]);
    expect(base.plugins.map((p) => p.name)).toEqual(["base"]);
    expect(added.env).toBe(base.env);
  });

  it("loads a plugin under development from an absolute path or a file: URL (its package directory or entry file)", async () => {
    const dev = installed({
      "hop3-plugin-dev/package.json": JSON.stringify({ name: "hop3-plugin-dev", type: "module", exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } } }),
      "hop3-plugin-dev/dist/index.js": plugin("hop3-plugin-dev"),
    });
    const dir = join(dev, "hop3-plugin-dev");
    for (const name of [dir, pathToFileURL(dir).href, join(dir, "dist/index.js")]) {
      const loaded = await loadPlugin({ name, origin: "HOP3_PLUGINS" }, { searchFrom: [] });
      expect(loaded.plugin.name).toBe("hop3-plugin-dev");
      expect(loaded.entry).toBe(join(dir, "dist/index.js"));
    }
  });

  it("refuses a relative path (it would resolve against the current directory, often an app's) and a path with nothing built", async () => {
    const relative = await loadPlugin({ name: "./hop3-plugin-dev", origin: "HOP3_PLUGINS" }, { searchFrom: [] }).catch((e: unknown) => e);
    expect(Hop3Error.is(relative) && relative.code).toBe("PLUGIN_NOT_FOUND");
    expect((relative as Hop3Error).message).toContain("neither an npm package name nor an absolute path");
    const unbuilt = installed({ "p/package.json": JSON.stringify({ name: "p", type: "module", exports: "./dist/index.js" }) });
    const error = await loadPlugin({ name: join(unbuilt, "p"), origin: "HOP3_PLUGINS" }, { searchFrom: [] }).catch((e: unknown) => e);
    expect(Hop3Error.is(error) && [error.code, error.message]).toEqual(["PLUGIN_NOT_FOUND", `Plugin package "${join(unbuilt, "p")}" (from HOP3_PLUGINS): its entry ${join(unbuilt, "p/dist/index.js")} does not exist (is it built?).`]);
    const nothing = await loadPlugin({ name: join(unbuilt, "nope"), origin: "HOP3_PLUGINS" }, { searchFrom: [] }).catch((e: unknown) => e);
    expect((nothing as Hop3Error).message).toContain(`nothing is at ${join(unbuilt, "nope")}`);
  });
});
