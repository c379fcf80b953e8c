import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createDistribution,
  createMemoryLogger,
  definePlugin,
  Hop3Tokens,
  inject,
  injectable,
  type BuildArtifact,
  type Builder,
  type BuildContext,
  type Clock,
  type CommandRunner,
  type Deployer,
  type Logger,
  type Router,
  type RunOptions,
} from "@hop3/core";
import { makeApp } from "./helpers.js";

const testEnv = { ...process.env, HOP3_HOME: mkdtempSync(join(tmpdir(), "hop3-core-services-")) };

/** A runner that runs nothing and remembers every call: what a remote deploy would put in place of the local one. */
function recordingRunner() {
  const calls: Array<{ file: string; args: readonly string[]; options: RunOptions }> = [];
  const runner: CommandRunner = async (file, args, options = {}) => {
    calls.push({ file, args, options });
    return { command: [file, ...args].join(" "), exitCode: 0, stdout: "", stderr: "", lastLines: [], durationMs: 0 };
  };
  return { runner, calls };
}

const artifactFor = (context: BuildContext, builder: string): BuildArtifact => ({
  apiVersion: 1,
  kind: "generic",
  location: context.app.dir,
  builder,
  appName: context.app.name,
  buildId: context.releaseId,
  builtAt: context.clock.now().toISOString(),
  metadata: {},
  runtime: { workers: { web: "serve" }, env: {}, path: [], workingDir: context.app.dir },
});

/** A builder written as a class: its services come by injection, each named by its token. */
@injectable()
class InjectedBuilder implements Builder {
  static built: InjectedBuilder[] = [];
  readonly apiVersion = 1;
  readonly name = "injected";
  readonly usesToolchains = false;
  constructor(
    @inject(Hop3Tokens.CommandRunner) readonly run: CommandRunner,
    @inject(Hop3Tokens.Logger) readonly logger: Logger,
  ) {
    InjectedBuilder.built.push(this);
  }
  accept() {
    return { accepted: true, reason: "always" };
  }
  async build(context: BuildContext) {
    this.seen = context;
    await this.run("make", ["injected"]);
    await context.run("make", ["context"]);
    return artifactFor(context, this.name);
  }
  seen: BuildContext | undefined;
}

const injectedPlugin = definePlugin({ name: "test/injected", apiVersion: 1, register: (r) => r.addBuilder(InjectedBuilder) });

describe("services swapped in a distribution", () => {
  it("reach both a plugin's context.run and the runner injected into its class: one runner, one channel", async () => {
    const { runner, calls } = recordingRunner();
    const distribution = createDistribution({ env: testEnv, plugins: [injectedPlugin], services: { [Hop3Tokens.CommandRunner]: runner } });
    const logger = createMemoryLogger();
    InjectedBuilder.built = [];
    await distribution.build(await distribution.plan(makeApp({})), { logger });

    const builder = InjectedBuilder.built.at(-1)!;
    expect(builder.run).toBe(builder.seen!.run);
    expect(builder.logger).toBe(logger);
    expect(builder.seen!.logger).toBe(logger);
    expect(calls.map((call) => [call.file, ...call.args])).toEqual([
      ["make", "injected"],
      ["make", "context"],
    ]);
    // The operation's defaults come with it: its logger and signal, and the distribution's environment.
    expect(calls[0]!.options).toMatchObject({ logger, signal: builder.seen!.signal, extendEnv: false, env: { HOP3_HOME: testEnv.HOP3_HOME } });
  });

  it("reach the app's commands too (runAsApp runs through the same runner)", async () => {
    const { runner, calls } = recordingRunner();
    const distribution = createDistribution({ env: testEnv, plugins: [], services: { [Hop3Tokens.CommandRunner]: runner } });
    await distribution.appContext("swapped").runAsApp("sh", ["-c", "true"]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args.slice(-2)).toEqual(["-c", "true"]);
  });

  it("can be swapped for one operation only, and a class contribution is built anew for it", async () => {
    const { runner: first, calls: firstCalls } = recordingRunner();
    const { runner: second, calls: secondCalls } = recordingRunner();
    const distribution = createDistribution({ env: testEnv, plugins: [injectedPlugin], services: { [Hop3Tokens.CommandRunner]: first } });
    const plan = await distribution.plan(makeApp({}));
    InjectedBuilder.built = [];
    await distribution.build(plan, { services: { [Hop3Tokens.CommandRunner]: second } });
    await distribution.build(plan);
    expect(secondCalls).toHaveLength(2);
    expect(firstCalls).toHaveLength(2);
    const [one, two] = InjectedBuilder.built;
    expect(one).not.toBe(two);
  });

  it("gives every core service to an operation, and its context is what its container resolves", () => {
    const fixed: Clock = { now: () => new Date("2026-01-02T03:04:05Z") };
    const distribution = createDistribution({ env: testEnv, plugins: [], services: { [Hop3Tokens.Clock]: fixed } });
    const signal = new AbortController().signal;
    const context = distribution.operationContext({ signal });
    expect(context.clock).toBe(fixed);
    expect(context.signal).toBe(signal);
    expect(typeof context.state.read).toBe("function");
    expect(typeof context.http.get).toBe("function");
    expect(context.home).toBe(testEnv.HOP3_HOME);
  });
});

describe("a deployer contributed as a class", () => {
  @injectable()
  class LoggingDeployer implements Deployer {
    readonly apiVersion = 1;
    readonly name = "logging";
    readonly takes = ["processes"] as const;
    constructor(@inject(Hop3Tokens.Logger) readonly logger: Logger) {}
    deploy = unused;
    start = unused;
    stop = unused;
    restart = unused;
    scale = unused;
    destroy = unused;
    status = unused;
  }
  const distribution = createDistribution({ env: testEnv, plugins: [definePlugin({ name: "test/logging", apiVersion: 1, register: (r) => r.addDeployer(LoggingDeployer) })] });
  const artifact: BuildArtifact = {
    apiVersion: 1,
    kind: "generic",
    location: "/srv/x",
    builder: "b",
    appName: "x",
    buildId: "1",
    builtAt: new Date().toISOString(),
    metadata: {},
    runtime: { workers: { web: "serve" }, env: {}, path: [], workingDir: "/srv/x" },
  };

  it("is built in the operation's container when the operation's context is given, with its logger", () => {
    const logger = createMemoryLogger();
    const context = distribution.operationContext({ logger });
    const deployer = distribution.deployerFor(artifact, { ...context }) as LoggingDeployer;
    expect(deployer.logger).toBe(logger);
    expect(distribution.deployerFor(artifact, context)).toBe(deployer);
    expect(distribution.deployerFor(artifact)).not.toBe(deployer);
  });
});

describe("the router service", () => {
  const router: Router = {
    apiVersion: 1,
    name: "test-router",
    ensureRunning: unused,
    apply: unused,
    remove: unused,
    urlFor: (app) => `http://${app}.test/`,
    status: unused,
    stop: unused,
  };

  @injectable()
  class RoutedDeployer implements Deployer {
    readonly apiVersion = 1;
    readonly name = "routed";
    readonly takes = ["processes"] as const;
    constructor(@inject(Hop3Tokens.Router) readonly router: Router) {}
    deploy = unused;
    start = unused;
    stop = unused;
    restart = unused;
    scale = unused;
    destroy = unused;
    status = unused;
  }
  const plugin = definePlugin({ name: "test/routed", apiVersion: 1, register: (r) => { r.addRouter(router); r.addDeployer(RoutedDeployer); } });

  it("is the distribution's router, injected or asked for", () => {
    const distribution = createDistribution({ env: testEnv, plugins: [plugin] });
    expect(distribution.router()).toBe(router);
    expect((distribution.registry.deployers()[0] as RoutedDeployer).router).toBe(router);
  });

  it("can be swapped like any service, and is ROUTER_NOT_FOUND when there is none", async () => {
    const other = { ...router, name: "other" };
    expect(createDistribution({ env: testEnv, plugins: [plugin], services: { [Hop3Tokens.Router]: other } }).router()).toBe(other);
    expect(() => createDistribution({ env: testEnv, plugins: [] }).router()).toThrow(expect.objectContaining({ code: "ROUTER_NOT_FOUND" }));
  });
});

async function unused(): Promise<never> {
  throw new Error("not used by this test");
}
