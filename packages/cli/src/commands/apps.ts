import { existsSync, rmSync } from "node:fs";
import { appStateDir, detectCgroups, findAppUser, Hop3Error, isValidAppName, killAppProcesses, processesOfUid, removeAppUser, removeCgroups, type Distribution } from "@hop3/core";
import { listAppRecords, readAppRecord, type AppRecord } from "../apps/app-record.js";
import { deployContext } from "../apps/context.js";
import { lockApp } from "../apps/lock.js";
import { listReleases, type Release } from "../apps/releases.js";
import { defineCommand } from "../command.js";
import { cliError } from "../errors.js";
import type { StepReporter } from "../reporter.js";
import type { CliIO } from "../io.js";
import { UsageError } from "../usage-error.js";

export const appsCommand = defineCommand({
  name: ["apps"],
  summary: "List the apps of this Hop3 and their live release",
  usage: "hop3 apps [--json]",
  async run({ distribution }) {
    const dist = await distribution();
    const apps = listAppRecords(dist.home).map((record) =>
      "corrupt" in record
        ? { name: record.name, source: null, liveRelease: null, url: null, limits: null, problem: record.corrupt }
        : { name: record.name, source: record.source, liveRelease: record.liveRelease ?? null, url: record.liveRelease ? dist.router().urlFor(record.name) : null, limits: record.limits ?? null },
    );
    const text =
      apps.length === 0
        ? ["no apps yet: deploy one with `hop3 deploy DIR`"]
        : apps.map((a) => ("problem" in a ? `${a.name}  (unreadable: ${a.problem})` : `${a.name}  ${a.url ?? "(no live release)"}  ${a.source}`));
    return { data: { apps }, text };
  },
});

export const destroyCommand = defineCommand({
  name: ["destroy"],
  summary: "Remove an app entirely: processes, routes, releases, GC roots, state",
  usage: "hop3 destroy NAME --yes [--json]",
  options: { yes: { type: "boolean" } },
  maxPositionals: 1,
  async run({ args, io, distribution, reporter }) {
    const name = args.positionals[0];
    if (!name) throw new UsageError("the app name is missing", this.usage);
    const dist = await distribution();
    const dir = appStateDir(dist.home, name);
    if (!isValidAppName(name) || !existsSync(dir)) throw cliError("APP_NOT_FOUND", `There is no app named "${name}" in ${dist.home}.`, { details: { app: name, home: dist.home } });
    if (!args.values.yes) throw cliError("CONFIRMATION_REQUIRED", `Destroying ${name} removes its processes, routes, releases and state; nothing can be restored.`, { details: { app: name } });
    const unlock = lockApp(dist.home, name, "destroy");
    try {
      await removeEverywhere(dist, io, reporter, name);
    } finally {
      unlock();
    }
    await removeAppIdentity(dist, reporter, name, dir);
    return { data: { app: name, destroyed: true }, text: `${name} is destroyed: nothing of it is left.` };
  },
});

/**
 * Every deployer that ran a release of the app, and the router, forget it; every builder frees
 * what it kept. Works from damaged state too: destroy is the way out of it.
 */
async function removeEverywhere(dist: Distribution, io: CliIO, reporter: StepReporter, name: string): Promise<void> {
  const record = readOrNote(() => readAppRecord(dist.home, name), reporter);
  const releases = readOrNote(() => listReleases(dist.home, name), reporter) ?? [];
  const context = deployContext(dist, recordOrEmpty(record), io);
  const used = new Set(releases.map((r: Release) => r.deployer));
  // Without readable releases, every deployer is asked: removing an unknown app is a no-op for them.
  const deployers = dist.registry.deployers().filter((d) => releases.length === 0 || used.has(d.name));
  for (const deployer of deployers) {
    await reporter.step(`remove ${name} from ${deployer.name}`, (logger) => deployer.destroy(name, { ...context, logger }));
  }
  await dist.router().remove(name, context);
  for (const release of releases) {
    const builder = dist.registry.builders().find((b) => b.name === release.builder);
    await builder?.discard?.(release.artifact, dist.appContext(name, { signal: io.signal })).catch((error: unknown) => {
      reporter.note(`Release ${release.id}: ${Hop3Error.is(error) ? error.message : String(error)}`);
    });
  }
}

/**
 * Last, the app's own box: whatever still runs as its user (something it started and detached) is
 * killed, its cgroups, its directory (Nix GC roots are links in it) and its user go.
 */
async function removeAppIdentity(dist: Distribution, reporter: StepReporter, name: string, dir: string): Promise<void> {
  const scope = { home: dist.home, env: dist.env };
  const user = findAppUser(scope, name);
  if (user?.dedicated) {
    const left = await killAppProcesses(user);
    if (left.length > 0) reporter.note(`Processes of ${user.name} still run after 5 s (pids ${left.join(", ")}); its user is kept.`);
    removeCgroups(detectCgroups(), user.name);
  }
  rmSync(dir, { recursive: true, force: true });
  if (user?.dedicated && processesOfUid(user.uid).length === 0) removeAppUser(scope, name);
}

function readOrNote<T>(read: () => T, reporter: StepReporter): T | undefined {
  try {
    return read();
  } catch (error) {
    reporter.note(`${(error as Error).message} Removing it anyway.`);
    return undefined;
  }
}

const recordOrEmpty = (record: AppRecord | undefined) => record ?? { appEnv: {}, userEnv: {}, scale: {}, domains: [] };
