import { describe, expect, it } from "vitest";
import { createDistribution, definePlugin, Hop3Error, type ArtifactPreview, type ArtifactShape, type Builder, type Deployer, type ReleasePreview } from "@hop3/core";
import { caught, makeApp } from "./helpers.js";

const refuse = (code: string, message: string) => new Hop3Error({ code, message, hint: `fix ${code}` });

function builder(preview?: Builder["preview"]): Builder {
  return {
    apiVersion: 1,
    name: "maker",
    usesToolchains: false,
    accept: () => ({ accepted: true, reason: "always" }),
    ...(preview && { preview }),
    build: async () => {
      throw new Error("never built: these are checks before the build");
    },
  };
}

/** A deployer whose check refuses every `odd` worker, and remembers what it was shown. */
function deployer(name: string, takes: readonly ArtifactShape[], seen: ReleasePreview[]): Deployer {
  const unused = async (): Promise<never> => {
    throw new Error("not used by this test");
  };
  return {
    apiVersion: 1,
    name,
    takes,
    check: (preview) => {
      seen.push(preview);
      return Object.keys(preview.workers)
        .filter((worker) => worker === "odd")
        .map((worker) => refuse("ODD_WORKER", `${name} does not run "${worker}"`));
    },
    deploy: unused, start: unused, stop: unused, restart: unused, scale: unused, destroy: unused, status: unused,
  };
}

function distributionWith(preview: Builder["preview"] | undefined, seen: ReleasePreview[] = []) {
  return createDistribution({
    env: { PATH: "/usr/bin:/bin" },
    plugins: [
      definePlugin({
        name: "test/release-checks",
        apiVersion: 1,
        register: (registry) => {
          registry.addBuilder(builder(preview));
          registry.addDeployer(deployer("files", ["static-directory"], seen));
          registry.addDeployer(deployer("procs", ["processes", "container-image"], seen));
        },
      }),
    ],
  });
}

const declared = (workers: Record<string, string>): Builder["preview"] => ({ app }) => ({ workers: { ...app.config.workers, ...workers } });

describe("checks before the build", () => {
  it("asks the deployer that takes the artifact's shape, with the declared workers", async () => {
    const seen: ReleasePreview[] = [];
    const plan = await distributionWith(declared({}), seen).plan(makeApp({ Procfile: "web: serve\nworker: tick\n" }, "shop"));
    expect(plan.checks).toEqual({ shape: "processes", deployer: "procs", workersChecked: true, problems: [], notes: [] });
    expect(seen).toEqual([{ app: "shop", workers: { web: "serve", worker: "tick" }, shape: "processes", env: { PATH: "/usr/bin:/bin" } }]);

    const site = await distributionWith(declared({}), seen).plan(makeApp({ Procfile: "static: public\n" }));
    expect(site.checks).toMatchObject({ shape: "static-directory", deployer: "files" });
    const image = await distributionWith(() => ({ workers: { web: "run" }, isolation: "container" })).plan(makeApp({}));
    expect(image.checks).toMatchObject({ shape: "container-image", deployer: "procs" });
  });

  it("refuses the plan with the first problem's own code, naming every other one", async () => {
    const preview: Builder["preview"] = ({ app }) => ({ workers: app.config.workers, problems: [refuse("TOOL_GONE", "the compiler is not on PATH")] });
    const error = await caught(() => distributionWith(preview).plan(makeApp({ Procfile: "web: serve\nodd: x\n" })));
    expect(error.code).toBe("TOOL_GONE");
    expect(error.hint).toBe("fix TOOL_GONE");
    expect(error.message).toBe('the compiler is not on PATH\nAlso refused before the build:\n  - ODD_WORKER: procs does not run "odd"');
    expect((error.details.problems as Array<{ code: string }>).map((p) => p.code)).toEqual(["TOOL_GONE", "ODD_WORKER"]);

    const one = await caught(() => distributionWith(declared({})).plan(makeApp({ Procfile: "odd: x\n" })));
    expect({ code: one.code, message: one.message }).toEqual({ code: "ODD_WORKER", message: 'procs does not run "odd"' });
  });

  it("returns the problems instead when asked to (hop3 validate reports them itself)", async () => {
    const plan = await distributionWith(declared({})).plan(makeApp({ Procfile: "odd: x\n" }), { refuseProblems: false });
    expect(plan.checks?.problems.map((p) => p.code)).toEqual(["ODD_WORKER"]);
  });

  it("counts a builder's coded error in preview as a problem, and any other exception as its bug", async () => {
    const coded = await caught(() => distributionWith(() => { throw refuse("NO_TOOLCHAIN", "nothing to build with"); }).plan(makeApp({})));
    expect(coded.code).toBe("NO_TOOLCHAIN");
    const uncoded = await caught(() => distributionWith(() => ({ workers: {}, problems: [new Error("plain") as Hop3Error] })).plan(makeApp({})));
    expect(uncoded.code).toBe("CONTRIBUTION_INVALID");
    const crashing = await caught(() => distributionWith(() => { throw new RangeError("oops"); }).plan(makeApp({})));
    expect(crashing.code).toBe("PLUGIN_FAILED");
    expect(crashing.message).toContain('builder "maker" failed in preview()');
  });

  it("checks nothing, and says so, where only the build knows the workers", async () => {
    const seen: ReleasePreview[] = [];
    const fromBuild: () => ArtifactPreview = () => ({});
    const plan = await distributionWith(fromBuild, seen).plan(makeApp({ Procfile: "odd: x\n" }));
    expect(plan.checks).toMatchObject({ workersChecked: false, problems: [] });
    expect(plan.checks?.notes[0]).toMatch(/the deployer checks them at deploy/);
    const silent = await distributionWith(undefined, seen).plan(makeApp({ Procfile: "odd: x\n" }));
    expect(silent.checks).toMatchObject({ workersChecked: false, problems: [] });
    expect(seen).toEqual([]);
  });

  it("checks no worker in a distribution that only builds", async () => {
    const builds = createDistribution({ env: {}, plugins: [definePlugin({ name: "test/builds", apiVersion: 1, register: (r) => r.addBuilder(builder(declared({}))) })] });
    const plan = await builds.plan(makeApp({ Procfile: "odd: x\n" }));
    expect(plan.checks).toMatchObject({ shape: "processes", workersChecked: false, problems: [], notes: ["this distribution has no deployer: nothing runs the workers"] });
  });

  it("names a shape no deployer takes before the build", async () => {
    const only = createDistribution({
      env: {},
      plugins: [definePlugin({ name: "test/only", apiVersion: 1, register: (r) => { r.addBuilder(builder(declared({}))); r.addDeployer(deployer("files", ["static-directory"], [])); } })],
    });
    expect((await caught(() => only.plan(makeApp({ Procfile: "web: serve\n" })))).code).toBe("DEPLOYER_NOT_FOUND");
  });
});
