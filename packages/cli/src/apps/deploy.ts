import type { BuildArtifact, Deployer, Distribution } from "@hop3/core";
import { Hop3Error, newReleaseId } from "@hop3/core";
import type { CliIO } from "../io.js";
import type { StepReporter } from "../reporter.js";
import { readAppRecord, writeAppRecord, type AppRecord } from "./app-record.js";
import { deployContext } from "./context.js";
import { waitUntilServing, type HealthResult } from "./health.js";
import { lockApp } from "./lock.js";
import { listReleases, writeRelease, type Release } from "./releases.js";

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
 * leaves the running release untouched; a failure after it brings the previous release back.
 */
export async function deployApp(distribution: Distribution, io: CliIO, reporter: StepReporter, request: DeployRequest): Promise<DeployResult> {
  const app = distribution.loadApp(request.dir, request.appName === undefined ? {} : { appName: request.appName });
  const unlock = lockApp(distribution.home, app.name, "deploy");
  try {
    const plan = await reporter.step("plan", () => distribution.plan(app, request.builder === undefined ? {} : { builder: request.builder }), (p) => `${p.builder.name}: ${p.builder.reason}`);
    for (const warning of plan.warnings) reporter.note(warning);
    const releaseId = newReleaseId();
    const artifact = await reporter.step(`build with ${plan.builder.name}`, (logger) => distribution.build(plan, { logger, signal: io.signal, releaseId }), (a) => a.location);
    const deployer = distribution.deployerFor(artifact.kind);
    const previous = readAppRecord(distribution.home, app.name);
    const record: Omit<AppRecord, "updatedAt"> = {
      name: app.name,
      source: app.dir,
      appEnv: app.config.env,
      userEnv: { ...previous?.userEnv, ...request.env },
      scale: previous?.scale ?? {},
      domains: previous?.domains ?? [],
      ...(previous?.liveRelease && { liveRelease: previous.liveRelease }),
      ...(app.config.startTimeoutSeconds !== undefined && { startTimeoutSeconds: app.config.startTimeoutSeconds }),
    };
    const release: Release = { id: releaseId, app: app.name, createdAt: new Date().toISOString(), source: app.dir, builder: plan.builder.name, deployer: deployer.name, artifact, status: "failed" };

    try {
      await reporter.step(`deploy with ${deployer.name}`, (logger) => deployer.deploy(artifact, deployContext(distribution, record, io, logger)));
      const health = await reporter.step("health", () => checkHealth(distribution, io, record, artifact), (h) => `HTTP ${h.status} after ${Math.round(h.elapsedMs)} ms`);
      writeRelease(distribution.home, { ...release, status: "live" });
      supersede(distribution.home, app.name, releaseId);
      writeAppRecord(distribution.home, { ...record, liveRelease: releaseId });
      return { app: app.name, release: releaseId, builder: plan.builder.name, deployer: deployer.name, artifact, url: distribution.router().urlFor(app.name), status: "running", health };
    } catch (error) {
      const failure = Hop3Error.is(error) ? { code: error.code, message: error.message } : { code: "INTERNAL", message: String((error as Error)?.message ?? error) };
      writeRelease(distribution.home, { ...release, error: failure });
      if (previous) await restorePrevious(distribution, io, reporter, previous, deployer, error);
      else writeAppRecord(distribution.home, { ...record });
      throw error;
    }
  } finally {
    unlock();
  }
}

/** Asks the app through the router until it answers: web apps by HTTP, static sites for a 200. */
export async function checkHealth(distribution: Distribution, io: CliIO, record: Pick<AppRecord, "name" | "startTimeoutSeconds">, artifact: BuildArtifact): Promise<HealthResult> {
  const router = distribution.router();
  const status = await router.status(distribution.operationContext({ signal: io.signal }));
  const hasWeb = Object.keys(artifact.runtime.workers).some((name) => name !== "static");
  return waitUntilServing({
    listen: status.listen,
    host: `${record.name}.localhost`,
    check: artifact.runtime.healthcheck ?? { path: "/" },
    strict: !hasWeb || artifact.runtime.healthcheck !== undefined,
    timeoutMs: (artifact.runtime.healthcheck?.timeoutSeconds ?? record.startTimeoutSeconds ?? DEFAULT_START_TIMEOUT_SECONDS) * 1000,
    signal: io.signal,
  });
}

/** After a failed deploy, the release that was live is deployed again so the app keeps serving. */
async function restorePrevious(distribution: Distribution, io: CliIO, reporter: StepReporter, previous: AppRecord, failedDeployer: Deployer, cause: unknown): Promise<void> {
  const live = previous.liveRelease ? listReleases(distribution.home, previous.name).find((r) => r.id === previous.liveRelease) : undefined;
  if (!live) return;
  // The uWSGI deployer brings its previous release back by itself when a worker does not start.
  if (Hop3Error.is(cause) && cause.details.restored !== undefined) return;
  try {
    const deployer = distribution.deployerFor(live.artifact.kind);
    await reporter.step(`restore release ${live.id}`, (logger) => deployer.deploy(live.artifact, deployContext(distribution, previous, io, logger)));
    if (deployer !== failedDeployer) await failedDeployer.destroy(previous.name, deployContext(distribution, previous, io)).catch(() => undefined);
  } catch (error) {
    reporter.note(`The previous release ${live.id} could not be restored: ${(error as Error).message}`);
  }
}

function supersede(home: string, app: string, liveId: string): void {
  for (const release of listReleases(home, app)) {
    if (release.status === "live" && release.id !== liveId) writeRelease(home, { ...release, status: "superseded" });
  }
}
