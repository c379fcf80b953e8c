import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDistribution, createMemoryLogger, type BuildArtifact, type Distribution } from "@hop3/core";
import { stopEmperor, uwsgiDeployerPlugin } from "@hop3/deployer-uwsgi";
import { staticDeployerPlugin } from "@hop3/deployer-static";
import { nginxRouterPlugin } from "@hop3/router-nginx";
import { localBuilderPlugin } from "../src/index.js";
import { caught, expectationOf, fixtureNames, FIXTURES, freePort, processesUnder, removeTempHomes, tempHome, waitForBody } from "./helpers.js";

// Every fixture of test-fixtures/local-apps, built with the real toolchains and deployed with the
// real uWSGI emperor, static deployer and nginx; checked over HTTP through nginx.
const home = tempHome();
const env = { ...process.env, HOP3_HOME: home };
let httpPort = 0;
let distribution: Distribution;

const distributionWith = (builderEnv: Record<string, string> = {}): Distribution =>
  createDistribution({
    plugins: [localBuilderPlugin({ env: builderEnv }), uwsgiDeployerPlugin(), staticDeployerPlugin(), nginxRouterPlugin({ httpPort }, env)],
    env,
  });

async function buildAndDeploy(d: Distribution, fixture: string, appName: string): Promise<BuildArtifact> {
  const logger = createMemoryLogger();
  const plan = await d.plan(join(FIXTURES, fixture), { appName });
  const artifact = await d.build(plan, { logger });
  await d.deployerFor(artifact).deploy(artifact, {
    ...d.operationContext({ logger }),
    appEnv: plan.app.config.env,
    userEnv: {},
    scale: {},
    domains: [],
    bindAddress: "127.0.0.1",
    router: d.router(),
  });
  return artifact;
}

beforeAll(async () => {
  httpPort = await freePort();
  distribution = distributionWith();
});

afterAll(async () => {
  await stopEmperor(home);
  await distribution.router().stop(distribution.operationContext());
  expect(processesUnder(home)).toEqual([]);
  removeTempHomes();
});

const { good, broken } = fixtureNames();

describe("good fixtures build, deploy and answer through nginx", () => {
  it.each(good)("%s", async (fixture) => {
    const expected = expectationOf(fixture);
    const plan = await distribution.plan(join(FIXTURES, fixture));
    expect(plan.builder.name).toBe("local");
    for (const toolchain of expected.toolchains ?? []) expect(plan.toolchains.map((t) => t.name)).toContain(toolchain);
    expect(plan.toolchains.every((t) => t.reason !== "")).toBe(true);

    const artifact = await buildAndDeploy(distribution, fixture, fixture);
    expect(artifact.kind).toBe(expected.kind);
    expect(Object.keys(artifact.runtime.workers).sort()).toEqual([...(expected.workers ?? [])].sort());
    expect(artifact.location).toBe(join(home, "apps", fixture, "builds", artifact.buildId));
    expect(artifact.runtime.path.every((dir) => dir.startsWith("/"))).toBe(true);
    await waitForBody(httpPort, expected.http!.path, `${fixture}.localhost`, expected.http!.contains);
  });
});

describe("broken fixtures fail with their code and leave the running release serving", () => {
  const app = "keeper";
  let running: BuildArtifact;

  beforeAll(async () => {
    running = await buildAndDeploy(distribution, "node-no-deps", app);
    await waitForBody(httpPort, "/", `${app}.localhost`, "hello from node-no-deps");
  });

  it.each(broken)("%s", async (fixture) => {
    const expected = expectationOf(fixture);
    const d = expected.env ? distributionWith(expected.env) : distribution;
    const error = await caught(() => buildAndDeploy(d, fixture, app));
    if (expected.stage === "plan") {
      expect(error.code).toBe("BUILDER_NONE_ACCEPTED");
      expect(error.message).toContain("no language toolchain detected");
      // Asked for by name (hop3.toml [build] builder = "local"), the builder raises its own code.
      const plan = { app: d.loadApp(join(FIXTURES, fixture), { appName: app }), builder: { name: "local", reason: "chosen", explicit: true }, candidates: [], toolchains: [], warnings: [] };
      const direct = await caught(() => d.build(plan));
      expect(direct.code).toBe(expected.code);
    } else {
      expect(error.code).toBe(expected.code);
    }
    expect(error.hint).not.toBe("");
    // No half release was left, and the running one still serves.
    const builds = readdirSync(join(home, "apps", app, "builds"));
    expect(builds).toEqual([running.buildId]);
    expect(existsSync(running.location)).toBe(true);
    await waitForBody(httpPort, "/", `${app}.localhost`, "hello from node-no-deps", 3_000);
  });

  it("names the missing program and how to install it", async () => {
    const error = await caught(() => buildAndDeploy(distributionWith({ PATH: "/usr/sbin" }), "go-missing", app));
    expect(error.message).toContain("go was not found on PATH");
    expect(error.hint).toContain("apt-get install golang-go");
  });

  it("carries the failing command's last lines", async () => {
    const error = await caught(() => buildAndDeploy(distribution, "failing-install", app));
    expect(error.message).toContain("the database schema is missing");
    const build = await caught(() => buildAndDeploy(distribution, "failing-build", app));
    expect(build.message).toContain("assets/main.scss: file not found");
  });
});

describe("releases", () => {
  it("an unchanged Node rebuild reuses node_modules and is a release of its own", async () => {
    const logger = createMemoryLogger();
    const plan = await distribution.plan(join(FIXTURES, "node-with-dep"));
    const first = await distribution.build(plan);
    const second = await distribution.build(plan, { logger });
    expect(second.location).not.toBe(first.location);
    expect(logger.entries.some((entry) => entry.text.includes("reusing node_modules"))).toBe(true);
    expect(existsSync(join(second.location, "node_modules", "ms", "package.json"))).toBe(true);
    const local = distribution.registry.builders().find((b) => b.name === "local")!;
    await local.discard!(first, distribution.appContext("node-with-dep"));
    expect(existsSync(first.location)).toBe(false);
    expect(existsSync(join(second.location, "node_modules", "ms", "index.js"))).toBe(true);
  });

  it("an unchanged Python rebuild reuses the virtualenv", async () => {
    const logger = createMemoryLogger();
    const plan = await distribution.plan(join(FIXTURES, "python-empty-reqs"));
    const artifact = await distribution.build(plan, { logger });
    expect(logger.entries.some((entry) => entry.text.includes("requirements.txt unchanged: reusing the virtualenv"))).toBe(true);
    expect(artifact.runtime.env.VIRTUAL_ENV).toBe(artifact.runtime.path[0]!.replace(/\/bin$/, ""));
  });
});
