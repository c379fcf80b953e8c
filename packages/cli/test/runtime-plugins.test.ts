import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { createCli, EXIT } from "@hop3/cli";
import { createDistribution, definePlugin } from "@hop3/core";
import { memoryIO } from "./memory-io.js";

// Plugins named at run time are real npm-style packages in a real node_modules, imported by the CLI.
const base = definePlugin({ name: "test/base", apiVersion: 1, register: () => {} });
const cli = createCli(async () => createDistribution({ plugins: [base] }), { name: "hop3", version: "1.0.0", pluginsFrom: false });
const cliWithPlugins = (from: string) => createCli(async () => createDistribution({ plugins: [base] }), { name: "hop3", version: "1.0.0", pluginsFrom: from });

/** A plugin package whose builder accepts apps that have the given marker file. */
const builderPlugin = (name: string, builder: string, marker: string, apiVersion = 1, exportName = "hop3Plugin") => `
import { existsSync } from "node:fs";
import { join } from "node:path";
export const ${exportName === "default" ? "plugin" : exportName} = () => ({
  name: ${JSON.stringify(name)},
  apiVersion: ${apiVersion},
  version: "2.0.0",
  register(registry) {
    registry.addBuilder({
      apiVersion: 1, name: ${JSON.stringify(builder)}, priority: 5, usesToolchains: false,
      accept: ({ app }) => existsSync(join(app.dir, ${JSON.stringify(marker)})) ? { accepted: true, reason: "${marker} found" } : { accepted: false, reason: "no ${marker}" },
      build: async () => { throw new Error("not built in this test"); },
    });
  },
});
${exportName === "default" ? "export default plugin;" : ""}
`;

function write(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

function project(files: Record<string, string>): { dir: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), "hop3-project-"));
  write(dir, files);
  return { dir, env: { XDG_CONFIG_HOME: join(dir, ".config"), HOP3_PLUGINS: "", HOP3_HOME: join(dir, ".hop3") } };
}

const pkg = (name: string, main = "index.js") => JSON.stringify({ name, version: "2.0.0", type: "module", exports: { ".": { import: `./${main}` } } });

async function run(dir: string, env: Record<string, string>, ...argv: string[]) {
  const io = memoryIO(dir, env);
  const code = await cliWithPlugins(join(dir, "nowhere")).run(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe("plugins named at run time", () => {
  it("loads package.json hop3.plugins, the user config and HOP3_PLUGINS, in that order, and shows them", async () => {
    const { dir, env } = project({
      "package.json": JSON.stringify({ name: "site", hop3: { plugins: ["hop3-plugin-alpha"] } }),
      ".config/hop3/config.json": JSON.stringify({ plugins: ["@acme/hop3-beta", "hop3-plugin-alpha"] }),
      "node_modules/hop3-plugin-alpha/package.json": pkg("hop3-plugin-alpha"),
      "node_modules/hop3-plugin-alpha/index.js": builderPlugin("hop3-plugin-alpha", "alpha", "alpha.txt"),
      "node_modules/@acme/hop3-beta/package.json": pkg("@acme/hop3-beta"),
      "node_modules/@acme/hop3-beta/index.js": builderPlugin("@acme/hop3-beta", "beta", "beta.txt", 1, "default"),
      "node_modules/hop3-plugin-gamma/package.json": pkg("hop3-plugin-gamma"),
      "node_modules/hop3-plugin-gamma/index.js": builderPlugin("hop3-plugin-gamma", "gamma", "gamma.txt"),
      "beta.txt": "",
    });
    const result = await run(dir, { ...env, HOP3_PLUGINS: "hop3-plugin-gamma" }, "plugins", "--json");
    expect(result.code, result.err).toBe(EXIT.ok);
    const data = JSON.parse(result.out);
    expect(data.plugins.map((p: { order: number; name: string; origin: string }) => [p.order, p.name, p.origin])).toEqual([
      [1, "test/base", "distribution"],
      [2, "hop3-plugin-alpha", `${join(dir, "package.json")} (hop3.plugins)`],
      [3, "@acme/hop3-beta", `${join(dir, ".config/hop3/config.json")} (plugins)`],
      [4, "hop3-plugin-gamma", "HOP3_PLUGINS"],
    ]);
    // Equal priorities: the plugin order breaks the tie.
    expect(data.builders.map((b: { name: string; order: number; priority: number }) => [b.order, b.name, b.priority])).toEqual([
      [1, "alpha", 5],
      [2, "beta", 5],
      [3, "gamma", 5],
    ]);

    const text = await run(dir, env, "plugins");
    expect(text.out).toContain(`  2. hop3-plugin-alpha 2.0.0 (from ${join(dir, "package.json")} (hop3.plugins))`);

    const plan = await run(dir, env, "plan", "--json");
    expect(plan.code, plan.err).toBe(EXIT.ok);
    expect(JSON.parse(plan.out)).toMatchObject({
      builder: { name: "beta", reason: "beta.txt found" },
      candidates: [
        { name: "alpha", accepted: false, priority: 5 },
        { name: "beta", accepted: true, priority: 5 },
      ],
    });
    expect((await run(dir, env, "plan")).out).toContain("plugins added at run time: hop3-plugin-alpha");
  });

  it("also finds a plugin installed next to the distribution", async () => {
    const dist = project({
      "node_modules/hop3-plugin-alpha/package.json": pkg("hop3-plugin-alpha"),
      "node_modules/hop3-plugin-alpha/index.js": builderPlugin("hop3-plugin-alpha", "alpha", "alpha.txt"),
    });
    const { dir, env } = project({ "alpha.txt": "" });
    const io = memoryIO(dir, { ...env, HOP3_PLUGINS: "hop3-plugin-alpha" });
    const code = await cliWithPlugins(join(dist.dir, "lib", "bin.js")).run(["plan", "--json"], io);
    expect(code, io.err()).toBe(EXIT.ok);
    expect(JSON.parse(io.out()).builder.name).toBe("alpha");
  });

  it.each([
    ["a package that is not installed", { }, "hop3-plugin-missing", "PLUGIN_NOT_FOUND", 'Plugin package "hop3-plugin-missing" (from HOP3_PLUGINS) is not installed'],
    [
      "a package that exports no plugin",
      { "node_modules/hop3-plugin-empty/package.json": pkg("hop3-plugin-empty"), "node_modules/hop3-plugin-empty/index.js": "export const answer = 42;\n" },
      "hop3-plugin-empty",
      "PLUGIN_INVALID",
      "exports `answer`; expected it to export `hop3Plugin` or a default",
    ],
    [
      "a plugin for another API version",
      { "node_modules/hop3-plugin-future/package.json": pkg("hop3-plugin-future"), "node_modules/hop3-plugin-future/index.js": builderPlugin("hop3-plugin-future", "future", "x", 2) },
      "hop3-plugin-future",
      "PLUGIN_API_VERSION_UNSUPPORTED",
      'Plugin package "hop3-plugin-future" (from HOP3_PLUGINS) declares apiVersion 2; this @hop3/core supports 1.',
    ],
    [
      "a package that cannot be imported",
      { "node_modules/hop3-plugin-broken/package.json": pkg("hop3-plugin-broken"), "node_modules/hop3-plugin-broken/index.js": "export const = ;\n" },
      "hop3-plugin-broken",
      "PLUGIN_IMPORT_FAILED",
      'Plugin package "hop3-plugin-broken" (from HOP3_PLUGINS) could not be imported',
    ],
    ["a name that is no package name", {}, "../escape", "PLUGIN_NOT_FOUND", "is not an npm package name"],
  ])("refuses %s with a coded error naming it", async (_what, files, name, code, message) => {
    const { dir, env } = project(files);
    const result = await run(dir, { ...env, HOP3_PLUGINS: name }, "plugins");
    expect(result.code).toBe(EXIT.userError);
    expect(result.err).toContain(`error[${code}]: `);
    expect(result.err).toContain(message);
  });

  it("refuses a hop3.plugins that is not a list of names", async () => {
    const { dir, env } = project({ "package.json": JSON.stringify({ name: "site", hop3: { plugins: "hop3-plugin-alpha" } }) });
    const result = await run(dir, env, "plugins");
    expect(result.code).toBe(EXIT.userError);
    expect(result.err).toContain(`error[PLUGIN_SETTING_INVALID]: hop3.plugins in ${join(dir, "package.json")} is "hop3-plugin-alpha"; expected a list of npm package names.`);
  });

  it("loads nothing when turned off, and --version never reads the settings", async () => {
    const { dir, env } = project({ "package.json": "not json" });
    const io = memoryIO(dir, { ...env, HOP3_PLUGINS: "hop3-plugin-missing" });
    expect(await cli.run(["plugins"], io)).toBe(EXIT.ok);
    const version = memoryIO(dir, { ...env, HOP3_PLUGINS: "hop3-plugin-missing" });
    expect(await cliWithPlugins(dir).run(["--version"], version)).toBe(EXIT.ok);
  });
});
