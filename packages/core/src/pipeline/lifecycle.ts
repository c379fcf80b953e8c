import type { DeployContext, Deployer, DeploymentStatus } from "../contracts/deployer.js";
import { coreError } from "../error-codes.js";
import type { AppLimits } from "../host/limits.js";
import { requireAppRecord, writeAppRecord, type AppRecord } from "./app-record.js";
import { deployContext } from "./context.js";
import type { CoreDistribution } from "./core-distribution.js";
import { createSteps } from "./events.js";
import { releaseHealth } from "./health.js";
import { lockApp } from "./lock.js";
import { signalOf, type PipelineOptions } from "./options.js";
import { currentRelease, listReleases, type Release } from "./releases.js";
import { releaseDeployer } from "./deployer-choice.js";
import { listVolumes, type VolumeStatus } from "./volumes.js";

/** The deployer of the app's live release; APP_NOT_LIVE when it has none. */
export function liveDeployer(distribution: CoreDistribution, record: AppRecord): Deployer {
  const live = listReleases(distribution.home, record.name).find((r) => r.id === record.liveRelease);
  if (!live) throw coreError("APP_NOT_LIVE", `${record.name} has no live release: its last deploy failed, or it was never deployed.`, { details: { app: record.name } });
  return releaseDeployer(distribution, live);
}

/** What the app's live release runs as, asked of its deployer. */
export type LifecycleAction = "start" | "stop" | "restart";

/**
 * Starts, stops or restarts the app's live release (under the app's lock); APP_NOT_FOUND or
 * APP_NOT_LIVE when there is nothing to act on. Returns what runs after.
 */
export async function actOnApp(distribution: CoreDistribution, app: string, action: LifecycleAction, options: PipelineOptions = {}): Promise<DeploymentStatus> {
  const unlock = lockApp(distribution.home, app, action);
  try {
    const record = requireAppRecord(distribution.home, app);
    const deployer = liveDeployer(distribution, record);
    const signal = signalOf(options);
    return await createSteps(options.onStep).run(`${action} ${record.name}`, (logger) => {
      const context = deployContext(distribution, record, { signal, logger });
      return deployer[action](record.name, action === "restart" ? { ...context, healthGate: liveReleaseGate(distribution, record, signal) } : context);
    });
  } finally {
    unlock();
  }
}

/**
 * A restart starts new processes beside the running ones, like a deploy: they get traffic only
 * once they pass the live release's health check (its path, rules and start timeout).
 */
function liveReleaseGate(distribution: CoreDistribution, record: AppRecord, signal: AbortSignal): NonNullable<DeployContext["healthGate"]> {
  const live = listReleases(distribution.home, record.name).find((r) => r.id === record.liveRelease)!;
  const health = releaseHealth(record.name, live, live.artifact, distribution.operationContext({ signal }));
  return async (request) => {
    if (request.upstreams.length === 0) await health.throughRouter(distribution.router());
    else await health.gate(request);
  };
}

/** Runs `scale[worker]` instances of each worker named (the others keep theirs), and keeps it in the app's record. */
export async function scaleApp(distribution: CoreDistribution, app: string, scale: Readonly<Record<string, number>>, options: PipelineOptions = {}): Promise<DeploymentStatus> {
  const unlock = lockApp(distribution.home, app, "scale");
  try {
    const record = requireAppRecord(distribution.home, app);
    const deployer = liveDeployer(distribution, record);
    const next = { ...record, scale: { ...record.scale, ...scale } };
    const status = await createSteps(options.onStep).run(`scale ${app}`, (logger) => deployer.scale(app, deployContext(distribution, next, { signal: signalOf(options), logger })));
    writeAppRecord(distribution.home, next);
    return status;
  } finally {
    unlock();
  }
}

/** An app as it runs now. */
export interface AppStatus {
  readonly app: string;
  /** What its deployer says of its processes and route; `absent` when it was never deployed. */
  readonly deployment: DeploymentStatus;
  /** The release that runs: the live one, else the newest (a failed first deploy). */
  readonly release?: Release;
  /** Whether `release` is live; false when the last deploy failed and none is. */
  readonly live: boolean;
  /** What the release runs with: resolved at its deploy (hop3.toml within the server's maximum, else the defaults). */
  readonly limits?: AppLimits;
  /** Its volumes: those the release declares, with where it sees them, and those kept from earlier releases. */
  readonly volumes: readonly VolumeStatus[];
}

/** The app's processes, ports and URL, with its release; read-only, no lock. */
export async function appStatus(distribution: CoreDistribution, app: string, options: PipelineOptions = {}): Promise<AppStatus> {
  const record = requireAppRecord(distribution.home, app);
  // A failed first deploy has no live release, but its (stopped) workers still have a status.
  const release = currentRelease(distribution.home, record.name, record.liveRelease);
  if (!release) return { app: record.name, deployment: { app: record.name, state: "absent", workers: [] }, live: false, volumes: listVolumes(distribution.home, record.name) };
  const deployment = await releaseDeployer(distribution, release).status(record.name, deployContext(distribution, record, { signal: signalOf(options) }));
  const limits = release.limits ?? record.limits;
  const volumes = listVolumes(distribution.home, record.name, release.volumes);
  return { app: record.name, deployment, release, live: release.id === record.liveRelease, ...(limits && { limits }), volumes };
}
