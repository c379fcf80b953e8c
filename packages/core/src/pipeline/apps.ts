import { existsSync, rmSync } from "node:fs";
import { Hop3Error } from "../errors.js";
import { appStateDir } from "../home.js";
import { detectCgroups, removeCgroups } from "../host/cgroups.js";
import { killAppProcesses, processesOfUid } from "../host/processes.js";
import { findAppUser, removeAppUser } from "../host/users.js";
import { isValidAppName } from "../schemas/names.js";
import { detachAppEverywhere } from "./addons.js";
import { appNotFound, listAppRecords, readAppRecord, type AppRecord } from "./app-record.js";
import { deployContext } from "./context.js";
import type { CoreDistribution } from "./core-distribution.js";
import { createSteps, type Steps } from "./events.js";
import { lockApp } from "./lock.js";
import { signalOf, type PipelineOptions } from "./options.js";
import { listReleases, type Release } from "./releases.js";

/** An app in the list: its record and URL, or why its record cannot be read (listed, not fatal). */
export type AppSummary = (AppRecord & { readonly url?: string }) | { readonly name: string; readonly corrupt: string };

/** Every app with a record, sorted by name; `url` when it has a live release. */
export function listApps(distribution: CoreDistribution): AppSummary[] {
  return listAppRecords(distribution.home).map((record) =>
    "corrupt" in record || !record.liveRelease ? record : { ...record, url: distribution.router().urlFor(record.name) },
  );
}

/** What `Distribution.destroy` takes besides the app. */
export interface DestroyOptions extends PipelineOptions {
  /**
   * Called once the app is known to exist, before anything is removed: throw to stop there (the
   * CLI asks for --yes).
   */
  readonly confirm?: () => void;
}

/**
 * Removes an app entirely: every deployer that ran a release of it and the router forget it,
 * every builder frees what it kept, then whatever still runs as its user is killed, and its
 * cgroups, directory and user go. Works from damaged state too: destroy is the way out of it.
 */
export async function destroyApp(distribution: CoreDistribution, app: string, options: DestroyOptions = {}): Promise<void> {
  const dir = appStateDir(distribution.home, app);
  if (!isValidAppName(app) || !existsSync(dir)) throw appNotFound(distribution.home, app);
  options.confirm?.();
  const steps = createSteps(options.onStep);
  const unlock = lockApp(distribution.home, app, "destroy");
  try {
    await removeEverywhere(distribution, steps, signalOf(options), app);
    // Its addons let it go; their data stays (`hop3 addons destroy` is the only way to drop it).
    await detachAppEverywhere(distribution, steps, signalOf(options), app);
  } finally {
    unlock();
  }
  await removeAppIdentity(distribution, steps, app, dir);
}

async function removeEverywhere(distribution: CoreDistribution, steps: Steps, signal: AbortSignal, name: string): Promise<void> {
  const record = readOrNote(() => readAppRecord(distribution.home, name), steps);
  const releases = readOrNote(() => listReleases(distribution.home, name), steps) ?? [];
  const context = deployContext(distribution, record ?? { appEnv: {}, userEnv: {}, scale: {}, domains: [] }, { signal });
  const used = new Set(releases.map((r: Release) => r.deployer));
  // Without readable releases, every deployer is asked: removing an unknown app is a no-op for them.
  const deployers = distribution.registry.deployers().filter((d) => releases.length === 0 || used.has(d.name));
  for (const deployer of deployers) {
    await steps.run(`remove ${name} from ${deployer.name}`, (logger) => deployer.destroy(name, { ...context, logger }));
  }
  await distribution.router().remove(name, context);
  for (const release of releases) {
    const builder = distribution.registry.builders().find((b) => b.name === release.builder);
    await builder?.discard?.(release.artifact, distribution.appContext(name, { signal })).catch((error: unknown) => {
      steps.note(`Release ${release.id}: ${Hop3Error.is(error) ? error.message : String(error)}`);
    });
  }
}

/**
 * Last, the app's own box: whatever still runs as its user (something it started and detached) is
 * killed, its cgroups, its directory (Nix GC roots are links in it) and its user go.
 */
async function removeAppIdentity(distribution: CoreDistribution, steps: Steps, name: string, dir: string): Promise<void> {
  const scope = { home: distribution.home, env: distribution.env };
  const user = findAppUser(scope, name);
  if (user?.dedicated) {
    const left = await killAppProcesses(user);
    if (left.length > 0) steps.note(`Processes of ${user.name} still run after 5 s (pids ${left.join(", ")}); its user is kept.`);
    removeCgroups(detectCgroups(), user.name);
  }
  rmSync(dir, { recursive: true, force: true });
  if (user?.dedicated && processesOfUid(user.uid).length === 0) removeAppUser(scope, name);
}

function readOrNote<T>(read: () => T, steps: Steps): T | undefined {
  try {
    return read();
  } catch (error) {
    steps.note(`${(error as Error).message} Removing it anyway.`);
    return undefined;
  }
}
