import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { AppLimits, BuildArtifact, DeployContext, Deployer, Distribution, Logger, ResolvedLimits } from "@hop3/core";
import { appStateDir, findAppUser, Hop3Error, newReleaseId, processesOfUid, readHop3Config, removeAppUser, resolveLimits, testCrashPoint, type UserScope } from "@hop3/core";
import type { CliIO } from "../io.js";
import type { StepReporter } from "../reporter.js";
import { readAppRecord, writeAppRecord, type AppRecord } from "./app-record.js";
import { deployContext } from "./context.js";
import { waitUntilServing, type HealthResult } from "./health.js";
import { lockApp } from "./lock.js";
import { keepReleasesSetting, listReleases, markInterrupted, markLive, pruneReleases, writeRelease, type Release } from "./releases.js";
import { tailWorkerLogs } from "./worker-logs.js";

export interface DeployRequest {
  readonly dir: string;
  readonly appName?: string;
  readonly builder?: string;
  /** Values to set for the app before it starts (`--env K=V`), kept like `config set`. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface DeployResult {
  readonly app: string;
  readonly release: string;
  readonly builder: string;
  readonly deployer: string;
  readonly artifact: BuildArtifact;
  readonly url: string;
  readonly status: "running";
  readonly health: HealthResult;
}

/** Default time a new release has to answer, when hop3.toml [run] start-timeout does not say. */
const DEFAULT_START_TIMEOUT_SECONDS = 30;

/**
 * source -> plan -> build -> release -> deploy -> health -> live. A failure before the deploy step
 * changes nothing that runs; a failure after it brings the previous release back, or stops a first
 * release that does not answer (its logs are kept for `hop3 logs`).
 */
export async function deployApp(distribution: Distribution, io: CliIO, reporter: StepReporter, request: DeployRequest): Promise<DeployResult> {
  const { home } = distribution;
  const app = distribution.loadApp(request.dir, request.appName === undefined ? {} : { appName: request.appName });
  const keep = keepReleasesSetting(io.env);
  const unlock = lockApp(home, app.name, "deploy", { create: true });
  try {
    const plan = await reporter.step("plan", () => distribution.plan(app, request.builder === undefined ? {} : { builder: request.builder }), (p) => `${p.builder.name}: ${p.builder.reason}`);
    for (const warning of plan.warnings) reporter.note(warning);
    const limits = appLimits(app.config.limits, io.env);
    for (const note of limits.notes) reporter.note(note);
    const releaseId = newReleaseId();
    const artifact = await reporter.step(`build with ${plan.builder.name}`, (logger) => distribution.build(plan, { logger, signal: io.signal, releaseId }), (a) => a.location);
    const deployer = distribution.deployerFor(artifact);
    const previous = readPreviousRecord(home, app.name, reporter);
    const record: Omit<AppRecord, "updatedAt"> = {
      name: app.name,
      source: app.dir,
      appEnv: app.config.env,
      userEnv: { ...previous?.userEnv, ...request.env },
      scale: previous?.scale ?? {},
      domains: previous?.domains ?? [],
      ...(previous?.liveRelease && { liveRelease: previous.liveRelease }),
      ...(app.config.startTimeoutSeconds !== undefined && { startTimeoutSeconds: app.config.startTimeoutSeconds }),
      ...(app.config.healthcheck && { healthcheck: app.config.healthcheck }),
      limits: limits.limits,
    };
    const release: Release = {
      id: releaseId,
      app: app.name,
      createdAt: new Date().toISOString(),
      source: app.dir,
      builder: plan.builder.name,
      deployer: deployer.name,
      artifact,
      status: "deploying",
      env: { app: record.appEnv, user: record.userEnv },
      ...(record.startTimeoutSeconds !== undefined && { startTimeoutSeconds: record.startTimeoutSeconds }),
      ...(record.healthcheck && { healthcheck: record.healthcheck }),
      limits: limits.limits,
    };
    // Recorded before anything runs, so a deploy killed midway leaves a trace (marked interrupted by the next one).
    markInterrupted(home, app.name, releaseId);
    writeRelease(home, release);
    testCrashPoint(io.env, "after-build");

    try {
      const health = await startRelease(distribution, io, reporter, record, artifact, deployer);
      writeRelease(home, { ...release, status: "live" });
      markLive(home, app.name, releaseId);
      writeAppRecord(home, { ...record, liveRelease: releaseId });
      // The release is live: failing to tidy older ones must not fail the deploy (the next one tries again).
      await reporter
        .step("keep releases", (logger) => pruneReleases(distribution, app.name, keep, releaseId, logger, io.signal), (ids) => (ids.length === 0 ? `the last ${keep}` : `the last ${keep}, ${ids.length} older removed`))
        .catch((error: unknown) => reporter.note(`Older releases were not removed: ${(error as Error).message}`));
      return { app: app.name, release: releaseId, builder: plan.builder.name, deployer: deployer.name, artifact, url: distribution.router().urlFor(app.name), status: "running", health };
    } catch (error) {
      const failure = Hop3Error.is(error) ? { code: error.code, message: error.message } : { code: "INTERNAL", message: String((error as Error)?.message ?? error) };
      // Bookkeeping that fails too (a full disk) must not stop the previous release coming back.
      noting(reporter, () => writeRelease(home, { ...release, status: "failed", error: failure }));
      noting(reporter, () => writeAppRecord(home, record));
      const explained = await withLastLogLines(error, deployer, distribution, app.name, io);
      if (previous?.liveRelease) await restorePrevious(distribution, io, reporter, previous, deployer, error);
      else await stopFailedFirstRelease(distribution, io, reporter, record, deployer);
      throw explained;
    }
  } finally {
    unlock();
    // A first deploy that failed before anything ran leaves nothing behind (no empty directory, no GC root, no user).
    if (!existsSync(join(appStateDir(home, app.name), "app.json"))) {
      rmSync(appStateDir(home, app.name), { recursive: true, force: true });
      removeUnusedAppUser({ home, env: distribution.env }, app.name);
    }
  }
}

/**
 * Deploys an artifact through the health gate and waits until the router serves it: the deployer
 * asks the new instances on their own ports before it switches (when it starts releases beside
 * the running one), then the app is asked through the router as a user would.
 */
export async function startRelease(
  distribution: Distribution,
  io: CliIO,
  reporter: StepReporter,
  record: Omit<AppRecord, "updatedAt">,
  artifact: BuildArtifact,
  deployer: Deployer,
): Promise<HealthResult> {
  await reporter.step(`deploy with ${deployer.name}`, (logger) => deployer.deploy(artifact, { ...deployContext(distribution, record, io, logger), healthGate: healthGate(io, record, artifact) }));
  return reporter.step("health", () => checkHealth(distribution, io, record, artifact), (h) => `HTTP ${h.status} after ${Math.round(h.elapsedMs)} ms`);
}

/** The health check of a release, asked of each of its web instances directly, before it gets traffic. */
export function healthGate(io: CliIO, record: Pick<AppRecord, "name" | "startTimeoutSeconds" | "healthcheck">, artifact: BuildArtifact): NonNullable<DeployContext["healthGate"]> {
  const explicit = artifact.runtime.healthcheck ?? record.healthcheck;
  return async ({ upstreams }) => {
    for (const upstream of upstreams) {
      const listen = upstream.host.includes(":") ? `[${upstream.host}]:${upstream.port}` : `${upstream.host}:${upstream.port}`;
      await waitUntilServing({
        listen,
        host: `${record.name}.localhost`,
        url: `http://${listen}/`,
        check: explicit ?? { path: "/" },
        // By default any HTTP answer below 500 will do; a 5xx (503 while it warms up) is not ready.
        strict: explicit !== undefined,
        timeoutMs: (record.startTimeoutSeconds ?? DEFAULT_START_TIMEOUT_SECONDS) * 1000,
        signal: io.signal,
      });
    }
  };
}

/** Asks the app through the router until it answers: web apps by HTTP, static sites for a 2xx. */
export async function checkHealth(
  distribution: Distribution,
  io: CliIO,
  record: Pick<AppRecord, "name" | "startTimeoutSeconds" | "healthcheck">,
  artifact: BuildArtifact,
): Promise<HealthResult> {
  const router = distribution.router();
  const status = await router.status(distribution.operationContext({ signal: io.signal }));
  const hasWeb = Object.keys(artifact.runtime.workers).some((name) => name !== "static");
  const explicit = artifact.runtime.healthcheck ?? record.healthcheck;
  return waitUntilServing({
    listen: status.listen,
    host: `${record.name}.localhost`,
    url: router.urlFor(record.name),
    check: explicit ?? { path: "/" },
    strict: !hasWeb || explicit !== undefined,
    timeoutMs: (record.startTimeoutSeconds ?? DEFAULT_START_TIMEOUT_SECONDS) * 1000,
    signal: io.signal,
  });
}

/**
 * The limits a release runs with: its hop3.toml's, else the server's defaults, within the server's
 * maximum, and the notes about them. Which of them this host cannot enforce is the deployer's to
 * say: it knows how it enforces each (cgroups, rlimits, a container's flags).
 */
export function appLimits(requested: AppLimits, env: Readonly<Record<string, string | undefined>>): ResolvedLimits {
  const config = readHop3Config(env);
  return resolveLimits(requested, config.limits, config.maxLimits);
}

/** The user of an app that never ran, unless something of it still runs (then destroy removes it). */
function removeUnusedAppUser(scope: UserScope, app: string): void {
  const user = findAppUser(scope, app);
  if (user?.dedicated && processesOfUid(user.uid).length === 0) removeAppUser(scope, app);
}

/** A record that cannot be read must not block the deploy that writes it anew. */
function readPreviousRecord(home: string, app: string, reporter: StepReporter): AppRecord | undefined {
  try {
    return readAppRecord(home, app);
  } catch (error) {
    reporter.note(`${(error as Error).message} It is written anew by this deploy.`);
    return undefined;
  }
}

/** The error of a release that did not answer, with its workers' last lines: the usual reason why. */
async function withLastLogLines(error: unknown, deployer: Deployer, distribution: Distribution, app: string, io: CliIO): Promise<unknown> {
  if (!Hop3Error.is(error) || error.code !== "HEALTH_CHECK_FAILED") return error;
  const lines = await tailWorkerLogs(deployer, distribution, app, io, 10).catch(() => []);
  if (lines.length === 0) return error;
  const message = `${error.message}\nLast log lines:\n${lines.map((line) => `  ${line}`).join("\n")}`;
  return new Hop3Error({ code: error.code, message, hint: error.hint, cause: error.cause, details: { ...error.details, lastLines: lines } });
}

/** After a failed deploy, the release that was live is deployed again so the app keeps serving. */
async function restorePrevious(distribution: Distribution, io: CliIO, reporter: StepReporter, previous: AppRecord, failedDeployer: Deployer, cause: unknown): Promise<void> {
  const live = listReleases(distribution.home, previous.name).find((r) => r.id === previous.liveRelease);
  if (!live) return;
  // The uWSGI deployer brings its previous release back by itself when a worker does not start,
  // and never stops it when the new one fails beside it (`kept`).
  if (Hop3Error.is(cause) && (cause.details.restored !== undefined || cause.details.kept !== undefined)) return;
  try {
    const deployer = distribution.deployerFor(live.artifact);
    await reporter.step(`restore release ${live.id}`, (logger) => deployer.deploy(live.artifact, deployContext(distribution, previous, io, logger)));
    if (deployer !== failedDeployer) await failedDeployer.destroy(previous.name, deployContext(distribution, previous, io)).catch(() => undefined);
  } catch (error) {
    reporter.note(`The previous release ${live.id} could not be restored: ${(error as Error).message}`);
  }
}

/** A first release that does not answer must not keep running or routed; its logs stay. */
async function stopFailedFirstRelease(distribution: Distribution, io: CliIO, reporter: StepReporter, record: Omit<AppRecord, "updatedAt">, deployer: Deployer): Promise<void> {
  const quiet: Logger = { info: () => {}, warn: () => {}, debug: () => {}, output: () => {} };
  try {
    await deployer.stop(record.name, deployContext(distribution, record, io, quiet));
  } catch (error) {
    // Nothing was deployed (the deployer refused the artifact): nothing to stop.
    if (!(Hop3Error.is(error) && /NOT_DEPLOYED/.test(error.code))) reporter.note(`The failed release could not be stopped: ${(error as Error).message}`);
  }
}

function noting(reporter: StepReporter, write: () => void): void {
  try {
    write();
  } catch (error) {
    reporter.note(`Could not record the failed release: ${(error as Error).message}`);
  }
}

