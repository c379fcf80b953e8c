import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Deployer } from "../contracts/deployer.js";
import { testCrashPoint } from "../crash-points.js";
import { normalizeConfig, type AppSource } from "../app.js";
import { isValidAppName } from "../schemas/names.js";
import { coreError } from "../error-codes.js";
import { Hop3Error } from "../errors.js";
import { appStateDir, newReleaseId } from "../home.js";
import { readHop3Config } from "../hop3-config.js";
import { resolveLimits, type AppLimits, type ResolvedLimits } from "../host/limits.js";
import { processesOfUid } from "../host/processes.js";
import { findAppUser, removeAppUser, type UserScope } from "../host/users.js";
import { silentLogger } from "../logger.js";
import type { BuildArtifact } from "../schemas/artifact.js";
import { declaredInstances, provisionAddons, undoProvisioning, type Provisioned } from "./addons.js";
import { checkNamedDeployer, releaseDeployer, retirePreviousDeployer } from "./deployer-choice.js";
import { settleAppEnv } from "./app-env.js";
import { checkDomainsFree, domainsAfterDeploy } from "./domains.js";
import { readAppRecord, writeAppRecord, type AppRecord, type AppRecordDraft } from "./app-record.js";
import { deployContext } from "./context.js";
import type { CoreDistribution } from "./core-distribution.js";
import { createSteps, type Steps } from "./events.js";
import { releaseHealth, type HealthResult } from "./health.js";
import { lockApp } from "./lock.js";
import { signalOf, type PipelineOptions } from "./options.js";
import { keepReleasesSetting, listReleases, markInterrupted, markLive, pruneReleases, writeRelease, type Release } from "./releases.js";
import { linkReleaseVolumes } from "./volumes.js";
import { tailWorkerLogs } from "./worker-logs.js";

/** What to deploy: an app directory, and what to set for it. */
export interface DeployRequest {
  /** The app's directory (its hop3.toml, Procfile, hop3.nix or sources). */
  readonly dir: string;
  /** The app's name; default: from hop3.toml, else the directory's name. */
  readonly appName?: string;
  /** Builder name; overrides hop3.toml `[build] builder`. */
  readonly builder?: string;
  /** Values to set for the app before it starts (`hop3 deploy --env K=V`), kept like `setEnv`. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * A Nix store path built elsewhere and copied to this server (`hop3 deploy --store-path`, what
   * `--build-here` sends): deployed as it is by the builder that takes store paths
   * (`Builder.usePrebuilt`), nothing of the app evaluated or built. `dir` is then this path, no
   * hop3.toml or Procfile is read (the package's runtime.json says how it runs), and `appName` is required.
   */
  readonly storePath?: string;
}

/** A release that went live. */
export interface DeployOutcome {
  readonly app: string;
  /** The id of the new live release. */
  readonly release: string;
  readonly builder: string;
  readonly deployer: string;
  readonly artifact: BuildArtifact;
  /** Where the app answers. */
  readonly url: string;
  readonly status: "running";
  /** The answer that confirmed it through the router. */
  readonly health: HealthResult;
  /** Ids of older releases removed to keep HOP3_KEEP_RELEASES of them. */
  readonly pruned: readonly string[];
}

/**
 * source -> plan -> build -> release -> deploy (health gate, switch) -> confirmed -> live -> prune.
 * A failure before the deploy step changes nothing that runs. When the deployer's deploy() fails,
 * the release that served still serves: bringing it back is the deployer's (see Deployer.deploy).
 * A release that passed no gate and is not served through the router is stopped, its logs kept.
 */
export async function deployApp(distribution: CoreDistribution, request: DeployRequest, options: PipelineOptions = {}): Promise<DeployOutcome> {
  const { home, env } = distribution;
  const signal = signalOf(options);
  const steps = createSteps(options.onStep);
  const app = request.storePath === undefined ? distribution.loadApp(request.dir, request.appName === undefined ? {} : { appName: request.appName }) : prebuiltApp(request.storePath, request.appName);
  const keep = keepReleasesSetting(env);
  const unlock = lockApp(home, app.name, "deploy", { create: true });
  let provisioned: Provisioned | undefined;
  let live = false;
  try {
    // hop3.toml's [[addons]]: an unknown kind is refused here, before anything is made or built;
    // the instances are made and attached before the plan, whose [env] references read them.
    checkNamedDeployer(distribution, app);
    const declared = declaredInstances(distribution, app.name, app.config.toml);
    provisioned = await provisionAddons(distribution, steps, signal, app.name, declared);
    const addonEnv = provisioned.env;
    const planOptions = { ...(request.builder !== undefined && { builder: request.builder }), ...(request.env && { env: request.env }), ...(request.storePath !== undefined && { storePath: request.storePath }) };
    const plan = await steps.run("plan", () => distribution.plan(app, planOptions), (p) => `${p.builder.name}: ${p.builder.reason}`);
    for (const warning of plan.warnings) steps.note(warning);
    // Before the build: a name another app has would fail the deploy only after it.
    if (app.config.domains) checkDomainsFree(home, app.name, app.config.domains.list);
    const limits = appLimits(app.config.limits, env);
    for (const note of limits.notes) steps.note(note);
    // The operation's clock (a service a distribution or a test may swap) dates the release.
    const now = distribution.operationContext({ signal }).clock.now();
    const releaseId = newReleaseId(now);
    const artifact = await steps.run(`build with ${plan.builder.name}`, (logger) => distribution.build(plan, { logger, signal, releaseId }), (a) => a.location);
    const deployer = distribution.deployerFor(artifact, undefined, app.config.deployer);
    const appEnv = settleAppEnv(home, app, plan.env ?? { entries: [], warnings: [] }, now);
    for (const name of appEnv.made) steps.note(`[env] ${name} was generated; it is kept for the next deploys.`);
    const previous = readPreviousRecord(home, app.name, steps);
    const record: AppRecordDraft = {
      name: app.name,
      source: app.dir,
      appEnv: appEnv.env,
      userEnv: { ...previous?.userEnv, ...request.env },
      scale: previous?.scale ?? {},
      domains: domainsAfterDeploy(previous, app.config.domains),
      ...(app.config.domains && { declaredDomains: app.config.domains.list }),
      ...(previous?.liveRelease && { liveRelease: previous.liveRelease }),
      ...(app.config.startTimeoutSeconds !== undefined && { startTimeoutSeconds: app.config.startTimeoutSeconds }),
      ...(app.config.healthcheck && { healthcheck: app.config.healthcheck }),
      limits: limits.limits,
      ...(Object.keys(addonEnv).length > 0 && { addonEnv }),
    };
    const release: Release = {
      id: releaseId,
      app: app.name,
      createdAt: now.toISOString(),
      source: app.dir,
      builder: plan.builder.name,
      deployer: deployer.name,
      artifact,
      status: "deploying",
      env: { app: record.appEnv, user: record.userEnv },
      ...(record.startTimeoutSeconds !== undefined && { startTimeoutSeconds: record.startTimeoutSeconds }),
      ...(record.healthcheck && { healthcheck: record.healthcheck }),
      limits: limits.limits,
      ...(app.config.volumes.length > 0 && { volumes: app.config.volumes }),
    };
    // Recorded before anything runs, so a deploy killed midway leaves a trace (marked interrupted by the next one).
    markInterrupted(home, app.name, releaseId);
    writeRelease(home, release);
    testCrashPoint(env, "after-build");

    try {
      await linkReleaseVolumes(distribution, steps, signal, artifact, release.volumes);
      const health = await startRelease(distribution, steps, signal, record, artifact, deployer);
      writeRelease(home, { ...release, status: "live" });
      markLive(home, app.name, releaseId);
      writeAppRecord(home, { ...record, liveRelease: releaseId });
      live = true;
      await retirePreviousDeployer(distribution, steps, signal, previous, deployer, listReleases(home, app.name));
      // The release is live: failing to tidy older ones must not fail the deploy (the next one tries again).
      const pruned = await steps
        .run("keep releases", (logger) => pruneReleases(distribution, app.name, keep, releaseId, logger, signal), (ids) => (ids.length === 0 ? `the last ${keep}` : `the last ${keep}, ${ids.length} older removed`))
        .catch((error: unknown) => {
          steps.note(`Older releases were not removed: ${(error as Error).message}`);
          return [];
        });
      return { app: app.name, release: releaseId, builder: plan.builder.name, deployer: deployer.name, artifact, url: distribution.router().urlFor(app.name), status: "running", health, pruned };
    } catch (error) {
      const failure = Hop3Error.is(error) ? { code: error.code, message: error.message } : { code: "INTERNAL", message: String((error as Error)?.message ?? error) };
      // Bookkeeping that fails too (a full disk) must not hide the error.
      noting(steps, () => writeRelease(home, { ...release, status: "failed", error: failure }));
      noting(steps, () => writeAppRecord(home, withPreviousDomains(record, previous)));
      const explained = await withLastLogLines(error, deployer, distribution, app.name, signal);
      if (previous?.liveRelease) await restartOnItsDeployer(distribution, steps, signal, previous, deployer);
      throw explained;
    }
  } finally {
    // A deploy that failed undoes the addons it made or attached (theirs first: the app's record is next).
    if (provisioned !== undefined && !live) await undoProvisioning(distribution, steps, provisioned);
    unlock();
    // A first deploy that failed before anything ran leaves nothing behind (no empty directory, no GC root, no user).
    if (!existsSync(join(appStateDir(home, app.name), "app.json"))) {
      rmSync(appStateDir(home, app.name), { recursive: true, force: true });
      removeUnusedAppUser({ home, env }, app.name);
    }
  }
}

/**
 * Deploys an artifact through the release's health check: the deployer asks it of the new
 * instances before it switches (the gate), then the app is asked through the router as a user
 * would. When deploy() throws, what served still serves (the deployer's guarantee). When the
 * release took traffic without passing the gate (a deployer that switched without asking it) and
 * is not served, it is stopped here: nothing that fails its health check keeps running.
 */
export async function startRelease(
  distribution: CoreDistribution,
  steps: Steps,
  signal: AbortSignal,
  record: AppRecordDraft,
  artifact: BuildArtifact,
  deployer: Deployer,
): Promise<HealthResult> {
  const health = releaseHealth(record.name, record, artifact, distribution.operationContext({ signal }));
  let gated = false;
  const healthGate = async (request: Parameters<typeof health.gate>[0]) => {
    if (request.upstreams.length === 0) await health.throughRouter(distribution.router());
    else await health.gate(request);
    gated = true;
  };
  await steps.run(`deploy with ${deployer.name}`, (logger) => deployer.deploy(artifact, { ...deployContext(distribution, record, { signal, logger }), healthGate }));
  try {
    return await steps.run("health", () => health.throughRouter(distribution.router()), (h) => `HTTP ${h.status} after ${Math.round(h.elapsedMs)} ms`);
  } catch (error) {
    if (!gated) {
      await deployer.stop(record.name, deployContext(distribution, record, { signal, logger: silentLogger })).catch((stopError: unknown) => {
        steps.note(`The failed release could not be stopped: ${(stopError as Error).message}`);
      });
    }
    throw error;
  }
}

/**
 * When the app moves to another deployer (a static site that now has a web worker...), the new
 * deployer has no release of the app to keep serving, and the one that had it was not asked: its
 * release is started again there. Within one deployer, that deployer keeps or restores what served
 * (the Deployer contract): nothing is done here.
 */
async function restartOnItsDeployer(distribution: CoreDistribution, steps: Steps, signal: AbortSignal, previous: AppRecord, failed: Deployer): Promise<void> {
  const live = listReleases(distribution.home, previous.name).find((r) => r.id === previous.liveRelease);
  if (!live || live.deployer === failed.name) return;
  try {
    const deployer = releaseDeployer(distribution, live);
    await steps.run(`start release ${live.id} with ${deployer.name}`, (logger) => deployer.start(previous.name, deployContext(distribution, previous, { signal, logger })));
  } catch (error) {
    steps.note(`The previous release ${live.id} could not be started again: ${(error as Error).message}`);
  }
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

/**
 * The app of a prebuilt store path: its name as given, and no configuration file read, neither from
 * the path (not yet checked: the builder checks it) nor from an earlier source of the app.
 */
function prebuiltApp(storePath: string, appName: string | undefined): AppSource {
  if (appName === undefined) {
    throw coreError("STORE_PATH_APP_MISSING", `Deploying ${storePath} needs the app it is for.`, { details: { storePath } });
  }
  if (!isValidAppName(appName)) throw coreError("APP_NAME_INVALID", `"${appName}" is not a valid app name.`, { details: { name: appName } });
  return { dir: storePath, name: appName, config: normalizeConfig({}, { entries: [] }) };
}

/** The user of an app that never ran, unless something of it still runs (then destroy removes it). */
function removeUnusedAppUser(scope: UserScope, app: string): void {
  const user = findAppUser(scope, app);
  if (user?.dedicated && processesOfUid(user.uid).length === 0) removeAppUser(scope, app);
}

/** A record that cannot be read must not block the deploy that writes it anew. */
function readPreviousRecord(home: string, app: string, steps: Steps): AppRecord | undefined {
  try {
    return readAppRecord(home, app);
  } catch (error) {
    steps.note(`${(error as Error).message} It is written anew by this deploy.`);
    return undefined;
  }
}

/** The error of a release that did not answer, with its workers' last lines: the usual reason why. */
async function withLastLogLines(error: unknown, deployer: Deployer, distribution: CoreDistribution, app: string, signal: AbortSignal): Promise<unknown> {
  if (!Hop3Error.is(error) || error.code !== "HEALTH_CHECK_FAILED") return error;
  const lines = await tailWorkerLogs(deployer, distribution, app, signal, 10).catch(() => []);
  if (lines.length === 0) return error;
  const message = `${error.message}\nLast log lines:\n${lines.map((line) => `  ${line}`).join("\n")}`;
  return new Hop3Error({ code: error.code, message, hint: error.hint, cause: error.cause, details: { ...error.details, lastLines: lines } });
}

/** The record of a failed deploy keeps the domains of the release that still serves. */
function withPreviousDomains(record: AppRecordDraft, previous: AppRecord | undefined): AppRecordDraft {
  const { declaredDomains: _declared, ...rest } = record;
  return { ...rest, domains: previous?.domains ?? [], ...(previous?.declaredDomains && { declaredDomains: previous.declaredDomains }) };
}

function noting(steps: Steps, write: () => void): void {
  try {
    write();
  } catch (error) {
    steps.note(`Could not record the failed release: ${(error as Error).message}`);
  }
}

