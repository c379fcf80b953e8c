import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createDistribution,
  definePlugin,
  Hop3Error,
  Hop3Tokens,
  inject,
  injectable,
  type BuildArtifact,
  type Builder,
  type BuildContext,
  type CommandRunner,
  type LanguageToolchain,
} from "@hop3/core";
import { caught, makeApp } from "./helpers.js";

/** A builder for apps holding a given marker file, written the way a third party would. */
function markerBuilder(name: string, marker: string, priority?: number): Builder {
  return {
    apiVersion: 1,
    name,
    ...(priority !== undefined && { priority }),
    usesToolchains: false,
    accept: ({ app }) =>
      existsSync(join(app.dir, marker))
        ? { accepted: true, reason: `${marker} found` }
        : { accepted: false, reason: `no ${marker}` },
    build: async (context) => artifactFor(context, name),
  };
}

function artifactFor(context: BuildContext, builder: string, extra: Partial<BuildArtifact> = {}): BuildArtifact {
  return {
    apiVersion: 1,
    kind: "generic",
    location: context.app.dir,
    builder,
    appName: context.app.name,
    buildId: context.releaseId,
    builtAt: new Date().toISOString(),
    metadata: {},
    runtime: { workers: { web: "serve --port $PORT" }, env: {}, path: [], workingDir: context.app.dir },
    ...extra,
  };
}

const alphaPlugin = definePlugin({
  name: "test/alpha",
  apiVersion: 1,
  version: "1.0.0",
  register: (registry) => registry.addBuilder(markerBuilder("alpha", "alpha.txt", 10)),
});
const betaPlugin = definePlugin({
  name: "test/beta",
  apiVersion: 1,
  register: (registry) => registry.addBuilder(markerBuilder("beta", "beta.txt", 20)),
});

// As root, a build makes the app's system user in HOP3_HOME: every distribution here gets a home of its own, in the temporary directory.
const testEnv = { ...process.env, HOP3_HOME: mkdtempSync(join(tmpdir(), "hop3-core-dist-")) };

describe("a distribution composed from two plugins", () => {
  const distribution = createDistribution({ plugins: [betaPlugin, alphaPlugin], env: testEnv });

  it("lists its plugins and asks builders in priority order", () => {
    expect(distribution.plugins.map((p) => p.name)).toEqual(["test/beta", "test/alpha"]);
    expect(distribution.registry.builders().map((b) => b.name)).toEqual(["alpha", "beta"]);
  });

  it("plans with the first builder that accepts, keeping every candidate and its reason", async () => {
    const plan = await distribution.plan(makeApp({ "alpha.txt": "", "beta.txt": "" }));
    expect(plan.builder).toEqual({ name: "alpha", reason: "alpha.txt found", explicit: false });
    expect(plan.candidates).toEqual([
      { name: "alpha", accepted: true, reason: "alpha.txt found" },
      { name: "beta", accepted: true, reason: "beta.txt found" },
    ]);
  });

  it("falls through to the next builder when the first declines", async () => {
    const plan = await distribution.plan(makeApp({ "beta.txt": "" }));
    expect(plan.builder.name).toBe("beta");
    expect(plan.candidates[0]).toEqual({ name: "alpha", accepted: false, reason: "no alpha.txt" });
  });

  it("lists every reason when no builder accepts", async () => {
    const error = await caught(() => distribution.plan(makeApp({ "README.md": "" })));
    expect(error.code).toBe("BUILDER_NONE_ACCEPTED");
    expect(error.message).toContain("alpha: no alpha.txt");
    expect(error.message).toContain("beta: no beta.txt");
    // The hint names what this distribution's builders look for, not the default distribution's files.
    expect(error.hint).toMatch(/^Add what one of the builders looks for: .*\(alpha\); .*\(beta\)\. Or name a builder/);
    expect(error.hint).not.toContain("hop3.nix");
  });

  it("takes the builder named in hop3.toml even when another would accept first", async () => {
    const plan = await distribution.plan(makeApp({ "alpha.txt": "", "beta.txt": "", "hop3.toml": '[build]\nbuilder = "beta"\n' }));
    expect(plan.builder).toMatchObject({ name: "beta", explicit: true });
  });

  it("lets an explicit option override hop3.toml, and warns when the chosen builder declines", async () => {
    const plan = await distribution.plan(makeApp({ "hop3.toml": '[build]\nbuilder = "beta"\n' }), { builder: "alpha" });
    expect(plan.builder).toMatchObject({ name: "alpha", explicit: true, reason: "chosen by the builder option" });
    expect(plan.warnings.join("\n")).toContain('Builder "alpha" was chosen by the builder option, but it says: no alpha.txt');
  });

  it("refuses an unknown builder name, listing the available ones", async () => {
    const error = await caught(() => distribution.plan(makeApp({ "hop3.toml": '[build]\nbuilder = "nixx"\n' })));
    expect(error.code).toBe("BUILDER_UNKNOWN");
    expect(error.message).toContain('"nixx"');
    expect(error.message).toContain("Available: alpha, beta");
  });

  it("builds with the planned builder and returns a validated artifact", async () => {
    const dir = makeApp({ "beta.txt": "" }, "My_App");
    const plan = await distribution.plan(dir);
    const artifact = await distribution.build(plan, { releaseId: "r1" });
    expect(artifact).toMatchObject({ builder: "beta", appName: "my-app", buildId: "r1", location: dir });
  });
});

describe("plugin loading", () => {
  it("refuses two plugins with the same name", async () => {
    const error = await caught(() => createDistribution({ env: testEnv, plugins: [alphaPlugin, { ...alphaPlugin }] }));
    expect(error.code).toBe("PLUGIN_DUPLICATE_NAME");
    expect(error.message).toContain('"test/alpha"');
  });

  it("refuses a plugin written for an unsupported apiVersion, naming it", async () => {
    const error = await caught(() => createDistribution({ env: testEnv, plugins: [{ ...betaPlugin, name: "test/future", apiVersion: 2 }] }));
    expect(error.code).toBe("PLUGIN_API_VERSION_UNSUPPORTED");
    expect(error.message).toContain('"test/future"');
    expect(error.message).toContain("apiVersion 2");
  });

  it("refuses an object that is not a plugin", async () => {
    const error = await caught(() => createDistribution({ env: testEnv, plugins: [{ name: "test/empty", apiVersion: 1 } as never] }));
    expect(error.code).toBe("PLUGIN_INVALID");
    expect(error.message).toContain("register");
  });

  it("reports a plugin whose register throws as a bug of that plugin", async () => {
    const broken = definePlugin({ name: "test/broken", apiVersion: 1, register: () => { throw new TypeError("boom"); } });
    const error = await caught(() => createDistribution({ env: testEnv, plugins: [broken] }));
    expect(error.code).toBe("PLUGIN_REGISTER_FAILED");
    expect(error.message).toContain('"test/broken"');
  });

  it("keeps the system requirements a plugin declares, for hop3 setup", () => {
    const needy = definePlugin({ name: "test/needy", apiVersion: 1, requirements: [{ id: "nginx", program: "nginx", debianPackages: ["nginx"], enables: "routing" }], register: () => {} });
    const distribution = createDistribution({ env: testEnv, plugins: [alphaPlugin, needy] });
    expect(distribution.plugins.map((p) => p.requirements)).toEqual([undefined, needy.requirements]);
  });

  it.each([
    [{ id: "Bad Id", program: "x", enables: "y" }, "invalid id"],
    [{ id: "x", program: "sh -c reboot", enables: "y" }, "invalid program"],
    [{ id: "x", program: "x", enables: "y", debianPackages: ["ok", "nginx; reboot"] }, "invalid Debian package"],
    [{ id: "x", program: "x", enables: "" }, "does not say what it enables"],
    [{ id: "x", program: "x", enables: "y", level: "sometimes" }, "invalid level"],
  ])("refuses a plugin whose requirement %j is invalid, before anything reaches a shell", async (requirement, why) => {
    const error = await caught(() => createDistribution({ env: testEnv, plugins: [{ name: "test/needy", apiVersion: 1, requirements: [requirement as never], register: () => {} }] }));
    expect(error.code).toBe("PLUGIN_INVALID");
    expect(error.message).toContain(why);
    expect(error.message).toContain('"test/needy"');
  });

  it("refuses two builders with the same name from different plugins", async () => {
    const twin = definePlugin({ name: "test/twin", apiVersion: 1, register: (r) => r.addBuilder(markerBuilder("alpha", "x")) });
    const distribution = createDistribution({ env: testEnv, plugins: [alphaPlugin, twin] });
    const error = await caught(() => distribution.registry.builders());
    expect(error.code).toBe("CONTRIBUTION_DUPLICATE_NAME");
    expect(error.message).toContain('"test/alpha"');
    expect(error.message).toContain('"test/twin"');
  });

  it("refuses a builder that breaks its contract", async () => {
    const bad = definePlugin({
      name: "test/bad",
      apiVersion: 1,
      register: (r) => r.addBuilder({ apiVersion: 1, name: "bad", usesToolchains: false, accept: () => ({ accepted: true, reason: "" }) } as never),
    });
    const error = await caught(() => createDistribution({ env: testEnv, plugins: [bad] }).registry.builders());
    expect(error.code).toBe("CONTRIBUTION_INVALID");
    expect(error.message).toContain("build()");
  });
});

describe("the boundary with third-party builders", () => {
  const withBuilder = (builder: Builder) =>
    createDistribution({ env: testEnv, plugins: [definePlugin({ name: "test/third", apiVersion: 1, register: (r) => r.addBuilder(builder) })] });

  it("rejects an invalid artifact, naming the builder and the field", async () => {
    const sloppy: Builder = {
      ...markerBuilder("sloppy", "x"),
      accept: () => ({ accepted: true, reason: "always" }),
      build: async (context) => ({ ...artifactFor(context, "sloppy"), builtAt: "yesterday" }),
    };
    const distribution = withBuilder(sloppy);
    const error = await caught(async () => distribution.build(await distribution.plan(makeApp({}))));
    expect(error.code).toBe("BUILD_ARTIFACT_INVALID");
    expect(error.message).toContain('builder "sloppy"');
    expect(error.message).toContain("builtAt");
  });

  it("wraps an unexpected exception as PLUGIN_FAILED and lets coded errors through", async () => {
    const crashing: Builder = { ...markerBuilder("crashing", "x"), accept: () => { throw new RangeError("oops"); } };
    const error = await caught(() => withBuilder(crashing).plan(makeApp({})));
    expect(error.code).toBe("PLUGIN_FAILED");
    expect(error.message).toContain('builder "crashing"');

    const coded: Builder = {
      ...markerBuilder("coded", "x"),
      accept: () => { throw new Hop3Error({ code: "TOOL_MISSING", message: "tool is missing", hint: "install it" }); },
    };
    expect((await caught(() => withBuilder(coded).plan(makeApp({})))).code).toBe("TOOL_MISSING");
  });
});

describe("toolchains go only to builders that use them", () => {
  it("never resolves a toolchain for a builder that does not use toolchains", async () => {
    let constructed = 0;
    class ExplodingToolchain implements LanguageToolchain {
      readonly apiVersion = 1;
      readonly name = "exploding";
      constructor() {
        constructed++;
      }
      detect(): never {
        throw new Error("touched");
      }
      build(): never {
        throw new Error("touched");
      }
    }
    const plugin = definePlugin({
      name: "test/mixed",
      apiVersion: 1,
      register: (registry) => {
        registry.addToolchain(ExplodingToolchain);
        registry.addBuilder(markerBuilder("plain", "plain.txt"));
      },
    });
    const distribution = createDistribution({ env: testEnv, plugins: [plugin] });
    const plan = await distribution.plan(makeApp({ "plain.txt": "" }));
    await distribution.build(plan);
    expect(plan.toolchains).toEqual([]);
    expect(constructed).toBe(0);
  });

  it("gives toolchains and their detections to a builder that uses them", async () => {
    const python: LanguageToolchain = {
      apiVersion: 1,
      name: "python",
      detect: (app) =>
        existsSync(join(app.dir, "requirements.txt"))
          ? { detected: true, files: ["requirements.txt"], reason: "requirements.txt found" }
          : { detected: false, files: [], reason: "no requirements.txt" },
      build: async () => ({ env: { PYTHONUNBUFFERED: "1" } }),
    };
    const seen: string[] = [];
    const local: Builder = {
      apiVersion: 1,
      name: "local",
      usesToolchains: true,
      accept: async ({ app, toolchains }) => {
        const hits = await Promise.all(toolchains.map((t) => t.detect(app)));
        return hits.some((h) => h.detected) ? { accepted: true, reason: "a toolchain detected the app" } : { accepted: false, reason: "no toolchain" };
      },
      build: async (context) => {
        seen.push(...context.toolchains.map((t) => t.name));
        return artifactFor(context, "local");
      },
    };
    const distribution = createDistribution({
      env: testEnv,
      plugins: [definePlugin({ name: "test/local", apiVersion: 1, register: (r) => { r.addToolchain(python); r.addBuilder(local); } })],
    });
    const plan = await distribution.plan(makeApp({ "requirements.txt": "" }));
    expect(plan.toolchains).toEqual([{ name: "python", detected: true, files: ["requirements.txt"], reason: "requirements.txt found" }]);
    await distribution.build(plan);
    expect(seen).toEqual(["python"]);
  });
});

describe("dependency injection for plugin classes", () => {
  it("builds class contributions with their @inject dependencies, once", async () => {
    const calls: string[] = [];
    const recordingRunner: CommandRunner = async (file) => {
      calls.push(file);
      return { command: file, exitCode: 0, stdout: "", stderr: "", lastLines: [], durationMs: 0 };
    };
    const RUNNER = Symbol("test.runner");

    @injectable()
    class InjectedBuilder implements Builder {
      readonly apiVersion = 1;
      readonly name = "injected";
      readonly usesToolchains = false;
      constructor(@inject(RUNNER) private readonly runner: CommandRunner) {}
      accept() {
        return { accepted: true, reason: "always" };
      }
      async build(context: BuildContext) {
        await this.runner("make", []);
        return artifactFor(context, "injected");
      }
    }
    const distribution = createDistribution({
      env: testEnv,
      plugins: [definePlugin({ name: "test/di", apiVersion: 1, register: (r) => { r.provide(RUNNER, recordingRunner); r.addBuilder(InjectedBuilder); } })],
    });
    expect(distribution.registry.builders()[0]).toBe(distribution.registry.builders()[0]);
    expect(typeof distribution.registry.resolve(Hop3Tokens.CommandRunner)).toBe("function");
    await distribution.build(await distribution.plan(makeApp({})));
    expect(calls).toEqual(["make"]);
  });
});

describe("a builder that answers accept() with a coded error", () => {
  const missingTool: Builder = {
    ...markerBuilder("needs-tool", "tool.txt", 5),
    accept: ({ app }) => {
      if (existsSync(join(app.dir, "tool.txt"))) throw new Hop3Error({ code: "TOOL_NOT_INSTALLED", message: "the tool is not installed", hint: "install it" });
      return { accepted: false, reason: "no tool.txt" };
    },
  };
  const distribution = createDistribution({
    env: testEnv,
    plugins: [alphaPlugin, betaPlugin, definePlugin({ name: "test/tool", apiVersion: 1, register: (r) => r.addBuilder(missingTool) })],
  });

  it("stops auto mode with that error when it is the builder that would build the app", async () => {
    expect((await caught(() => distribution.plan(makeApp({ "tool.txt": "", "beta.txt": "" })))).code).toBe("TOOL_NOT_INSTALLED");
  });

  it("is only a rejection when another builder is chosen explicitly", async () => {
    const plan = await distribution.plan(makeApp({ "tool.txt": "", "beta.txt": "" }), { builder: "beta" });
    expect(plan.builder.name).toBe("beta");
    expect(plan.candidates[0]).toEqual({ name: "needs-tool", accepted: false, reason: "the tool is not installed (TOOL_NOT_INSTALLED)" });
  });
});
