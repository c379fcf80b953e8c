import { coreError } from "../error-codes.js";
import { requireAppRecord, withoutUpdatedAt, writeAppRecord, type AppRecordDraft } from "./app-record.js";
import type { CoreDistribution } from "./core-distribution.js";
import { startRelease } from "./deploy.js";
import { releaseDeployer, retirePreviousDeployer } from "./deployer-choice.js";
import { createSteps } from "./events.js";
import type { HealthResult } from "./health.js";
import { lockApp } from "./lock.js";
import { signalOf, type PipelineOptions } from "./options.js";
import { listReleases, markLive, type Release } from "./releases.js";
import { linkReleaseVolumes } from "./volumes.js";

/** What `Distribution.rollback` takes besides the app. */
export interface RollbackOptions extends PipelineOptions {
  /** The kept release to start again; default: the one live before the current one. */
  readonly release?: string;
}

/** A kept release that went live again. */
export interface RollbackOutcome {
  readonly app: string;
  /** The release that serves now. */
  readonly release: string;
  /** The release it replaced. */
  readonly from?: string;
  readonly url: string;
  readonly health: HealthResult;
}

/** A release that once served and can serve again: live before, then replaced. */
const restorable = (release: Release) => release.status === "superseded" || release.status === "live";

/**
 * Starts a kept release again, without building: the one live before the current one, or
 * `options.release`. It goes through the same health check as a deploy; when it fails, the running
 * release keeps serving. The release runs with its own hop3.toml [env] and the values the user set
 * now (changes made with `setEnv` since are kept: a rollback is of the code, not of the settings).
 */
export async function rollbackApp(distribution: CoreDistribution, app: string, options: RollbackOptions = {}): Promise<RollbackOutcome> {
  const { home } = distribution;
  const unlock = lockApp(home, app, "rollback");
  try {
    const current = requireAppRecord(home, app);
    const releases = listReleases(home, app);
    const target = chooseTarget(app, releases, current.liveRelease, options.release);
    const record: AppRecordDraft = {
      ...withoutUpdatedAt(current),
      appEnv: target.env?.app ?? current.appEnv,
      liveRelease: target.id,
      ...(target.startTimeoutSeconds !== undefined && { startTimeoutSeconds: target.startTimeoutSeconds }),
      ...(target.healthcheck && { healthcheck: target.healthcheck }),
      ...(target.limits && { limits: target.limits }),
    };
    const deployer = releaseDeployer(distribution, target);
    const steps = createSteps(options.onStep);
    await linkReleaseVolumes(distribution, steps, signalOf(options), target.artifact, target.volumes);
    const health = await startRelease(distribution, steps, signalOf(options), record, target.artifact, deployer);
    markLive(home, app, target.id);
    writeAppRecord(home, record);
    await retirePreviousDeployer(distribution, steps, signalOf(options), current, deployer, releases);
    return { app, release: target.id, ...(current.liveRelease && { from: current.liveRelease }), url: distribution.router().urlFor(app), health };
  } finally {
    unlock();
  }
}

function chooseTarget(app: string, releases: readonly Release[], liveId: string | undefined, wanted: string | undefined): Release {
  if (wanted !== undefined) {
    const release = releases.find((r) => r.id === wanted);
    if (!release) throw coreError("RELEASE_NOT_FOUND", `${app} has no kept release ${JSON.stringify(wanted)}.`, { details: { app, release: wanted } });
    if (!restorable(release)) throw coreError("RELEASE_NOT_FOUND", `Release ${wanted} of ${app} never served (it is ${release.status}): there is nothing to go back to.`, { details: { app, release: wanted, status: release.status } });
    return release;
  }
  const liveIndex = releases.findIndex((r) => r.id === liveId);
  const before = (liveIndex < 0 ? releases : releases.slice(0, liveIndex)).filter((r) => r.status === "superseded");
  const target = before.at(-1);
  if (!target) throw coreError("RELEASE_NOT_FOUND", `${app} has no earlier release that served${liveId ? ` before ${liveId}` : ""}.`, { details: { app } });
  return target;
}
