import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { createCli, EXIT } from "@hop3/cli";
import { createDistribution, definePlugin } from "@hop3/core";
import { memoryIO } from "./memory-io.js";
import { hop3 } from "./run-hop3.js";

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

/** A directory of its own: the operator's config directory, an app's directory, a distribution's. */
function directory(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "hop3-plugins-"));
  write(dir, files);
  return dir;
}

/**
 * An operator's setup: Hop3's config file with plugins installed beside it, and an app directory
 * apart from it (not below it: nothing there is on the config directory's resolution path).
 */
function project(configFiles: Record<string, string>, appFiles: Record<string, string> = {}): { dir: string; configDir: string; env: Record<string, string> } {
  const configDir = directory(configFiles);
  const dir = directory(appFiles);
  return { dir, configDir, env: { HOP3_CONFIG: join(configDir, "config.json"), HOP3_PLUGINS: "", HOP3_HOME: join(dir, ".hop3") } };
}

const pkg = (name: string, main = "index.js") => JSON.stringify({ name, version: "2.0.0", type: "module", exports: { ".": { import: `./${main}` } } });

/** Where the test distribution is "installed": an empty directory, so names resolve only from the config file's. */
const distributionDir = mkdtempSync(join(tmpdir(), "hop3-distribution-"));

async function run(dir: string, env: Record<string, string>, ...argv: string[]) {
  const io = memoryIO(dir, env);
  const code = await cliWithPlugins(join(distributionDir, "bin.js")).run(argv, io);
  return { code, out: io.out(), err: io.err() };
}

/** A plugin package whose module, when imported, leaves a file: proof that it was loaded. */
const markerPlugin = (name: string, marker: string) => ({
  [`node_modules/${name}/package.json`]: pkg(name),
  [`node_modules/${name}/index.js`]: `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "imported");\nexport const hop3Plugin = { name: ${JSON.stringify(name)}, apiVersion: 1, register() {} };\n`,
});

describe("plugins named at run time", () => {
  it("loads Hop3's config file, then HOP3_PLUGINS, resolved from the config file's directory, and shows them", async () => {
    const { dir, configDir, env } = project(
      {
        "config.json": JSON.stringify({ plugins: ["@acme/hop3-beta", "hop3-plugin-alpha"] }),
        "node_modules/hop3-plugin-alpha/package.json": pkg("hop3-plugin-alpha"),
        "node_modules/hop3-plugin-alpha/index.js": builderPlugin("hop3-plugin-alpha", "alpha", "alpha.txt"),
        "node_modules/@acme/hop3-beta/package.json": pkg("@acme/hop3-beta"),
        "node_modules/@acme/hop3-beta/index.js": builderPlugin("@acme/hop3-beta", "beta", "beta.txt", 1, "default"),
        "node_modules/hop3-plugin-gamma/package.json": pkg("hop3-plugin-gamma"),
        "node_modules/hop3-plugin-gamma/index.js": builderPlugin("hop3-plugin-gamma", "gamma", "gamma.txt"),
      },
      { "beta.txt": "" },
    );
    const result = await run(dir, { ...env, HOP3_PLUGINS: "hop3-plugin-gamma,hop3-plugin-alpha" }, "plugins", "--json");
    expect(result.code, result.err).toBe(EXIT.ok);
    const data = JSON.parse(result.out);
    const configOrigin = `${join(configDir, "config.json")} (plugins)`;
    expect(data.plugins.map((p: { order: number; name: string; origin: string }) => [p.order, p.name, p.origin])).toEqual([
      [1, "test/base", "distribution"],
      [2, "@acme/hop3-beta", configOrigin],
      [3, "hop3-plugin-alpha", configOrigin],
      [4, "hop3-plugin-gamma", "HOP3_PLUGINS"],
    ]);
    // Equal priorities: the plugin order breaks the tie.
    expect(data.builders.map((b: { name: string; order: number; priority: number }) => [b.order, b.name, b.priority])).toEqual([
      [1, "beta", 5],
      [2, "alpha", 5],
      [3, "gamma", 5],
    ]);

    const text = await run(dir, env, "plugins");
    expect(text.out).toContain(`  2. @acme/hop3-beta 2.0.0 (from ${configOrigin})`);

    const plan = await run(dir, env, "plan", "--json");
    expect(plan.code, plan.err).toBe(EXIT.ok);
    expect(JSON.parse(plan.out)).toMatchObject({
      builder: { name: "beta", reason: "beta.txt found" },
      candidates: [
        { name: "beta", accepted: true, priority: 5 },
        { name: "alpha", accepted: false, priority: 5 },
      ],
    });
    expect((await run(dir, env, "plan")).out).toContain("plugins added at run time: @acme/hop3-beta");
  });

  it("reads no plugin from a package.json or node_modules of the current directory", async () => {
    const { dir, env } = project(
      { "config.json": JSON.stringify({ plugins: [] }) },
      {
        "package.json": JSON.stringify({ name: "site", hop3: { plugins: ["hop3-plugin-alpha"] } }),
        "node_modules/hop3-plugin-alpha/package.json": pkg("hop3-plugin-alpha"),
        "node_modules/hop3-plugin-alpha/index.js": builderPlugin("hop3-plugin-alpha", "alpha", "alpha.txt"),
        "alpha.txt": "",
      },
    );
    const listed = await run(dir, env, "plugins", "--json");
    expect(listed.code, listed.err).toBe(EXIT.ok);
    expect(JSON.parse(listed.out).plugins.map((p: { name: string }) => p.name)).toEqual(["test/base"]);
    // Named by the operator, it is still not found there: names resolve from the config file's directory and the distribution.
    const named = await run(dir, { ...env, HOP3_PLUGINS: "hop3-plugin-alpha" }, "plugins");
    expect(named.code).toBe(EXIT.userError);
    expect(named.err).toContain('error[PLUGIN_NOT_FOUND]: Plugin package "hop3-plugin-alpha" (from HOP3_PLUGINS) is not installed');
  });

  it("also finds a plugin installed next to the distribution", async () => {
    const dist = directory({
      "node_modules/hop3-plugin-alpha/package.json": pkg("hop3-plugin-alpha"),
      "node_modules/hop3-plugin-alpha/index.js": builderPlugin("hop3-plugin-alpha", "alpha", "alpha.txt"),
    });
    const { dir, env } = project({}, { "alpha.txt": "" });
    const io = memoryIO(dir, { ...env, HOP3_PLUGINS: "hop3-plugin-alpha" });
    const code = await cliWithPlugins(join(dist, "lib", "bin.js")).run(["plan", "--json"], io);
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
    ["a relative path (it would resolve against the current directory, often an app's)", {}, "../escape", "PLUGIN_NOT_FOUND", "is neither an npm package name nor an absolute path"],
  ])("refuses %s with a coded error naming it", async (_what, files, name, code, message) => {
    const { dir, env } = project({ "config.json": "{}", ...files });
    const result = await run(dir, { ...env, HOP3_PLUGINS: name }, "plugins");
    expect(result.code).toBe(EXIT.userError);
    expect(result.err).toContain(`error[${code}]: `);
    expect(result.err).toContain(message);
  });

  it("refuses a config file whose plugins are not a list of names, naming the file and the key", async () => {
    const { dir, configDir, env } = project({ "config.json": JSON.stringify({ plugins: "hop3-plugin-alpha" }) });
    const result = await run(dir, env, "plugins");
    expect(result.code).toBe(EXIT.userError);
    expect(result.err).toContain(`error[HOP3_CONFIG_INVALID]: ${join(configDir, "config.json")} has "plugins" `);
  });

  it("loads nothing when turned off, and --version never reads the settings", async () => {
    const { dir, env } = project({ "config.json": JSON.stringify({ plugins: ["hop3-plugin-missing"] }) }, { "package.json": "not json" });
    const io = memoryIO(dir, { ...env, HOP3_PLUGINS: "hop3-plugin-missing" });
    expect(await cli.run(["plugins"], io)).toBe(EXIT.ok);
    const version = memoryIO(dir, { ...env, HOP3_PLUGINS: "hop3-plugin-missing" });
    expect(await cliWithPlugins(dir).run(["--version"], version)).toBe(EXIT.ok);
  });
});

// Each case starts the real `hop3` (tsx compiles it): seconds on a loaded machine.
describe("an app that names and ships its own plugin", { timeout: 60_000 }, () => {
  // The attack: an app directory whose package.json names a plugin it ships in its node_modules,
  // with `hop3` started from that directory. Were the plugin imported, its module would run as root.
  const marker = join(mkdtempSync(join(tmpdir(), "hop3-marker-")), "imported");
  const app = directory({
    "package.json": JSON.stringify({ name: "evil-app", version: "1.0.0", hop3: { plugins: ["hop3-plugin-evil"] } }),
    ...markerPlugin("hop3-plugin-evil", marker),
    // A builder no distribution has: plan and deploy stop right after loading the plugins.
    "hop3.toml": '[build]\nbuilder = "nothing-builds-this"\n',
    Procfile: "web: echo never run\n",
  });
  const env = { HOP3_CONFIG: join(app, ".no-config.json"), HOP3_PLUGINS: "", HOP3_HOME: join(app, ".hop3-home") };

  it.each([
    ["validate", 0],
    ["plan", 1],
    ["deploy", 1],
  ])("hop3 %s run from its directory does not import it", async (command, code) => {
    const result = await hop3([command, "--json"], env, app);
    expect(result.code, result.stderr).toBe(code);
    // It got past loading the distribution: validate read the app, plan and deploy asked for its builder.
    expect(result.stdout).toContain(code === 0 ? `"app":"${basename(app).toLowerCase()}"` : "nothing-builds-this");
    expect(existsSync(marker), `${marker} was written: the app's plugin was imported`).toBe(false);
  });

  it("is imported when the operator installs and names it (the marker works)", async () => {
    const operator = directory({ "config.json": JSON.stringify({ plugins: ["hop3-plugin-evil"] }), ...markerPlugin("hop3-plugin-evil", `${marker}.operator`) });
    const result = await hop3(["plugins", "--json"], { ...env, HOP3_CONFIG: join(operator, "config.json") }, app);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(`${marker}.operator`)).toBe(true);
    expect(existsSync(marker)).toBe(false);
  });
});

// A plugin under development, tried with the stock CLI before it is published or installed.
describe("a plugin named by its absolute path", { timeout: 60_000 }, () => {
  const plugin = directory({
    "hop3-plugin-dev/package.json": JSON.stringify({ name: "hop3-plugin-dev", version: "0.1.0", type: "module", exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } } }),
    "hop3-plugin-dev/dist/index.js": builderPlugin("hop3-plugin-dev", "dev", "dev.txt"),
  });
  const pluginDir = join(plugin, "hop3-plugin-dev");
  const app = directory({ "dev.txt": "" });
  const env = { HOP3_CONFIG: join(app, ".no-config.json"), HOP3_PLUGINS: "", HOP3_HOME: join(app, ".hop3-home") };

  it("is loaded by the real hop3 from HOP3_PLUGINS (a directory) and from the config file (a file: URL)", async () => {
    const fromEnv = await hop3(["plan", "--json"], { ...env, HOP3_PLUGINS: pluginDir }, app);
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(fromEnv.json<{ builder: { name: string }; plugins: Array<{ name: string; origin: string }> }>()).toMatchObject({ builder: { name: "dev" } });
    expect(fromEnv.json<{ plugins: Array<{ name: string; origin: string }> }>().plugins).toContainEqual(expect.objectContaining({ name: "hop3-plugin-dev", origin: "HOP3_PLUGINS" }));

    const operator = directory({ "config.json": JSON.stringify({ plugins: [pathToFileURL(pluginDir).href] }) });
    const fromConfig = await hop3(["plan", "--json"], { ...env, HOP3_CONFIG: join(operator, "config.json") }, app);
    expect(fromConfig.code, fromConfig.stderr).toBe(0);
    expect(fromConfig.json<{ builder: { name: string } }>().builder.name).toBe("dev");
  });
});
