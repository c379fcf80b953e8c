import type { Distribution } from "@hop3/core";
import type { CliIO } from "../io.js";
import { cliError } from "../errors.js";
import type { StepReporter } from "../reporter.js";
import { requireAppRecord, writeAppRecord, type AppRecord } from "./app-record.js";
import { startRelease } from "./deploy.js";
import type { HealthResult } from "./health.js";
import { lockApp } from "./lock.js";
import { listReleases, markLive, type Release } from "./releases.js";

export interface RollbackResult {
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
 * Starts a kept release again, without building: the one live before the current one, or `releaseId`.
 * It goes through the same health gate as a deploy; when it fails, the running release keeps
 * serving. The release runs with its own hop3.toml [env] and the values the user set now
 * (`hop3 config` changes made since are kept: a rollback is of the code, not of the settings).
 */
export async function rollbackApp(distribution: Distribution, io: CliIO, reporter: StepReporter, app: string, releaseId?: string): Promise<RollbackResult> {
  const { home } = distribution;
  const unlock = lockApp(home, app, "rollback");
  try {
    const current = requireAppRecord(home, app);
    const releases = listReleases(home, app);
    const target = chooseTarget(app, releases, current.liveRelease, releaseId);
    const record: Omit<AppRecord, "updatedAt"> = {
      ...withoutUpdatedAt(current),
      appEnv: target.env?.app ?? current.appEnv,
      liveRelease: target.id,
      ...(target.startTimeoutSeconds !== undefined && { startTimeoutSeconds: target.startTimeoutSeconds }),
      ...(target.healthcheck && { healthcheck: target.healthcheck }),
      ...(target.limits && { limits: target.limits }),
    };
    const deployer = distribution.deployerFor(target.artifact);
    const health = await startRelease(distribution, io, reporter, record, target.artifact, deployer);
    markLive(home, app, target.id);
    writeAppRecord(home, record);
    return { app, release: target.id, ...(current.liveRelease && { from: current.liveRelease }), url: distribution.router().urlFor(app), health };
  } finally {
    unlock();
  }
}

function chooseTarget(app: string, releases: readonly Release[], liveId: string | undefined, wanted: string | undefined): Release {
  if (wanted !== undefined) {
    const release = releases.find((r) => r.id === wanted);
    if (!release) throw cliError("RELEASE_NOT_FOUND", `${app} has no kept release ${JSON.stringify(wanted)}.`, { details: { app, release: wanted } });
    if (!restorable(release)) throw cliError("RELEASE_NOT_FOUND", `Release ${wanted} of ${app} never served (it is ${release.status}): there is nothing to go back to.`, { details: { app, release: wanted, status: release.status } });
    return release;
  }
  const liveIndex = releases.findIndex((r) => r.id === liveId);
  const before = (liveIndex < 0 ? releases : releases.slice(0, liveIndex)).filter((r) => r.status === "superseded");
  const target = before.at(-1);
  if (!target) throw cliError("RELEASE_NOT_FOUND", `${app} has no earlier release that served${liveId ? ` before ${liveId}` : ""}.`, { details: { app } });
  return target;
}

function withoutUpdatedAt(record: AppRecord): Omit<AppRecord, "updatedAt"> {
  const { updatedAt: _updatedAt, ...rest } = record;
  return rest;
}
