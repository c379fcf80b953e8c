import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readlinkSync, realpathSync, rmSync } from "node:fs";
import { connect } from "node:net";
import {
  withLockFile,
  commandLine,
  detectCgroups,
  findAppUser,
  findProgram,
  formatLastLines,
  isAlive,
  isValidAppName,
  livePids,
  prepareCgroup,
  readHop3Config,
  readPid,
  sleep,
  waitUntil,
  writeFileAtomic,
  type AppLimits,
  type Logger,
} from "@hop3/core";
import { ensureEmperorDirs } from "./box.js";
import { uwsgiError } from "./errors.js";
import { stopAllCronRuns } from "./cron.js";
import { appLayout, emperorLayout, parseVassalFileName, type EmperorLayout } from "./layout.js";
import { ensureMaintenanceSchedule } from "./maintenance.js";
import { appSessions, sweepOrphans } from "./orphans.js";
import { tail } from "./log-tail.js";
import { cancellable } from "./process.js";
import { readStoredApp } from "./state.js";
import { inheritedEnv } from "./worker-env.js";

/** How to run the emperor. */
export interface EmperorSettings {
  /** The uWSGI program (name on PATH or absolute path). */
  readonly uwsgi: string;
  /** Seconds between folder scans (`--emperor-freq`). */
  readonly frequency: number;
  /** Variables of the Hop3 process the emperor, and every worker, inherits. */
  readonly inheritEnv: readonly string[];
}

/** What an operation gives the emperor functions. */
export interface EmperorContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
  /** How to run Hop3's CLI: when given, the emperor also runs Hop3's own schedule (`server maintain` every minute). */
  readonly hop3Command?: readonly string[];
}

/** One vassal as the emperor's stats socket reports it. */
export interface VassalStats {
  /** The vassal file name, e.g. `demo_web.1.ini`. */
  readonly id: string;
  readonly pid: number;
}

export interface EmperorStats {
  readonly pid: number;
  readonly vassals: readonly VassalStats[];
}

const START_TIMEOUT_MS = 10_000;

/**
 * The pid of the emperor watching this HOP3_HOME's vassal folder, from its pid file, or
 * undefined. A pid file whose process is gone, a zombie or another program is stale.
 */
export function emperorPid(layout: EmperorLayout): number | undefined {
  const pid = readPid(layout.pidFile);
  if (pid === undefined || !isAlive(pid)) return undefined;
  const args = commandLine(pid);
  const at = args.indexOf("--emperor");
  return at >= 0 && args[at + 1] === layout.vassals ? pid : undefined;
}

/**
 * Starts the emperor of a HOP3_HOME unless it runs, detached so it outlives this process, and
 * waits until it answers on its stats socket. A stale pid file is replaced; an emperor that runs
 * without its pid file is found through its socket. Two callers at once start one emperor. With
 * `context.hop3Command`, Hop3's own schedule is written (or updated) first (see maintenance.ts).
 */
export async function ensureEmperor(home: string, settings: EmperorSettings, context: EmperorContext): Promise<{ pid: number; started: boolean }> {
  const layout = emperorLayout(home);
  ensureEmperorDirs(layout);
  const scheduled = ensureMaintenanceSchedule(layout, context);
  const running = emperorPid(layout);
  if (running !== undefined) {
    if (scheduled) await pokeEmperor(layout);
    return { pid: running, started: false };
  }
  const program = findProgram(settings.uwsgi, context.env);
  if (program === undefined) {
    throw uwsgiError("UWSGI_NOT_INSTALLED", `${settings.uwsgi} was not found on PATH; it is needed to run the app's workers.`, {
      details: { program: settings.uwsgi },
    });
  }
  return withLockFile(
    layout.lockFile,
    async () => {
      const pid = emperorPid(layout) ?? (await adoptRunningEmperor(layout));
      if (pid !== undefined) return { pid, started: false };
      return { pid: await startEmperor(program, layout, settings, context), started: true };
    },
    {
      purpose: "starting the uWSGI emperor",
      // Its holder waits up to START_TIMEOUT_MS for the emperor, after sweeping orphans: more than that is a stuck process.
      timeoutMs: 3 * START_TIMEOUT_MS,
      ...cancellable(context.signal),
      busy: (holder) =>
        uwsgiError("UWSGI_EMPEROR_BUSY", `Another Hop3 process${holder ? ` (pid ${holder.pid}, since ${holder.since})` : ""} is still starting the uWSGI emperor of ${home}.`, {
          details: { lockFile: layout.lockFile, ...(holder && { pid: holder.pid }) },
        }),
    },
  );
}

/** An emperor whose pid file was lost still answers on its socket: record its pid again. */
async function adoptRunningEmperor(layout: EmperorLayout): Promise<number | undefined> {
  const stats = await pokeEmperor(layout);
  if (stats === undefined || !isAlive(stats.pid)) return undefined;
  writeFileAtomic(layout.pidFile, `${stats.pid}\n`);
  return stats.pid;
}

async function startEmperor(program: string, layout: EmperorLayout, settings: EmperorSettings, context: EmperorContext): Promise<number> {
  // The new emperor starts every vassal at once and their launchers overwrite the pid files:
  // what the previous emperor left running must be found before that.
  const swept = await sweepAllOrphans(layout.home, context);
  if (swept > 0) context.logger?.warn(`Stopped ${swept} worker process(es) left behind by the previous uWSGI emperor.`);
  restoreCgroups(layout, context);
  rmSync(layout.pidFile, { force: true });
  rmSync(layout.statsSocket, { force: true });
  const args = [
    "--emperor", layout.vassals,
    "--emperor-freq", String(settings.frequency),
    // A vassal that never served a uWSGI request (ours supervise a command) is "unloyal": each
    // time one goes, uWSGI delays the next start of that name by one more second (up to 3
    // minutes), so every redeploy of an app waited longer. A refused start is tried again at the
    // next scan, which keeps a crash-looping vassal at one start per scan all the same.
    "--emperor-throttle", "1",
    "--emperor-max-throttle", "10",
    "--emperor-stats", layout.statsSocket,
    "--pidfile", layout.pidFile,
    "--logto", layout.log,
    "--die-on-term",
    // No --log-maxsize: it makes uWSGI fork a master above the emperor, which then respawns it.
  ];
  // Output before --logto takes effect (a bad option) lands in the same log.
  const logFd = openSync(layout.log, "a", 0o600);
  let exited: string | undefined;
  try {
    const child = spawn(program, args, {
      cwd: layout.root,
      env: inheritedEnv(context.env, settings.inheritEnv),
      detached: true,
      stdio: ["ignore", logFd, logFd],
    });
    child.once("error", (error) => (exited = error.message));
    child.once("exit", (code, signal) => (exited = signal ? `was killed by ${signal}` : `exited with code ${code}`));
    child.unref();
    context.logger?.info(`Starting the uWSGI emperor for ${layout.home} (pid ${child.pid}).`);

    const deadline = Date.now() + START_TIMEOUT_MS;
    while (exited === undefined && Date.now() < deadline) {
      const stats = await pokeEmperor(layout, 200);
      if (stats !== undefined) {
        // uWSGI writes the pid file itself; write it too, so it never depends on timing.
        writeFileAtomic(layout.pidFile, `${stats.pid}\n`);
        return stats.pid;
      }
      await sleep(10, cancellable(context.signal));
    }
    if (exited === undefined) process.kill(child.pid!, "SIGKILL");
  } finally {
    closeSync(logFd);
  }
  throw uwsgiError(
    "UWSGI_EMPEROR_START_FAILED",
    `The uWSGI emperor ${exited ?? `did not answer within ${START_TIMEOUT_MS / 1000} s`}.${formatLastLines(tail(layout.log))}`,
    { details: { log: layout.log, lastLines: tail(layout.log) } },
  );
}

/**
 * Connects to the emperor's stats socket: the connection wakes it and it scans its folder at
 * once (a new vassal starts in tens of milliseconds instead of up to `--emperor-freq` seconds).
 * Returns what it reports, or undefined when no emperor answers.
 */
export function pokeEmperor(layout: EmperorLayout, timeoutMs = 1_000): Promise<EmperorStats | undefined> {
  return new Promise((resolve) => {
    if (!existsSync(layout.statsSocket)) return resolve(undefined);
    const chunks: Buffer[] = [];
    const socket = connect(layout.statsSocket);
    const finish = (stats: EmperorStats | undefined) => {
      socket.destroy();
      resolve(stats);
    };
    socket.setTimeout(timeoutMs, () => finish(undefined));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.once("error", () => finish(undefined));
    socket.once("end", () => finish(parseStats(Buffer.concat(chunks).toString("utf8"))));
  });
}

function parseStats(text: string): EmperorStats | undefined {
  try {
    const raw = JSON.parse(text) as { pid?: unknown; vassals?: Array<{ id?: unknown; pid?: unknown }> };
    if (typeof raw.pid !== "number") return undefined;
    const vassals = (raw.vassals ?? []).flatMap((v) => (typeof v.id === "string" && typeof v.pid === "number" ? [{ id: v.id, pid: v.pid }] : []));
    return { pid: raw.pid, vassals };
  } catch {
    return undefined;
  }
}

/**
 * Stops the emperor of a HOP3_HOME (SIGINT: it stops every vassal, and they their workers, then
 * exits) and waits for it; SIGKILL after the time limit. True when one was running.
 */
export async function stopEmperor(home: string, options: { timeoutMs?: number } = {}): Promise<boolean> {
  const layout = emperorLayout(home);
  const pid = emperorPid(layout);
  if (pid !== undefined) {
    process.kill(pid, "SIGINT");
    await waitUntil(() => !isAlive(pid), { timeoutMs: options.timeoutMs ?? 20_000 });
    if (isAlive(pid)) process.kill(pid, "SIGKILL");
  }
  await stopScheduledRuns(layout, options.timeoutMs ?? 20_000);
  await stopAllCronRuns(home, process.env, options.timeoutMs ?? 20_000);
  rmSync(layout.pidFile, { force: true });
  rmSync(layout.statsSocket, { force: true });
  return pid !== undefined;
}

/**
 * Stops what Hop3's schedule started and the emperor left running: uWSGI does not stop a `cron2`
 * command when its vassal exits, so a `server maintain` under way would outlive `server stop`.
 * Those processes are the ones still working in the emperor's folder (they inherit its cwd); they
 * get SIGTERM (every write of theirs is atomic), then SIGKILL after the time limit.
 */
async function stopScheduledRuns(layout: EmperorLayout, timeoutMs: number): Promise<void> {
  let folder: string;
  try {
    folder = realpathSync(layout.vassals); // /proc/<pid>/cwd holds the resolved path
  } catch {
    return; // no folder, no emperor ever ran here
  }
  const pids = livePids().filter((pid) => {
    try {
      return pid !== process.pid && readlinkSync(`/proc/${pid}/cwd`) === folder;
    } catch {
      return false; // gone meanwhile, or not ours to read
    }
  });
  if (pids.length === 0) return;
  for (const pid of pids) signal(pid, "SIGTERM");
  await waitUntil(() => pids.every((pid) => !isAlive(pid)), { timeoutMs });
  for (const pid of pids) if (isAlive(pid)) signal(pid, "SIGKILL");
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Whether the emperor of a HOP3_HOME runs, and its pid. Starts nothing. */
export function emperorStatus(home: string): { running: boolean; pid?: number } {
  const pid = emperorPid(emperorLayout(home));
  return pid === undefined ? { running: false } : { running: true, pid };
}

/** Stops what the instances of every app of a HOP3_HOME left behind; returns how many processes. */
async function sweepAllOrphans(home: string, context: EmperorContext): Promise<number> {
  let swept = 0;
  for (const app of appsOf(home)) {
    const sessions = appSessions(appLayout(home, app));
    if (sessions.length > 0) swept += (await sweepOrphans(sessions, findAppUser({ home, env: context.env }, app))).length;
  }
  return swept;
}

/**
 * Makes again the cgroups the vassals in the folder join (they are gone after a reboot, and a
 * vassal whose cgroup is missing fails to start rather than run unlimited), with the limits each
 * release was started with (Hop3's config for a state from before limits). A failure is a warning:
 * the other apps still start.
 */
function restoreCgroups(layout: EmperorLayout, context: EmperorContext): void {
  const support = detectCgroups();
  if (!support.writable) return;
  let files: string[];
  try {
    files = readdirSync(layout.vassals);
  } catch {
    return;
  }
  for (const file of files) {
    const vassal = parseVassalFileName(file);
    if (vassal === undefined) continue;
    try {
      const user = findAppUser({ home: layout.home, env: context.env }, vassal.app);
      if (!user?.dedicated) continue;
      const state = readStoredApp(layout.home, vassal.app)?.state;
      const limits: AppLimits = (state?.pending?.slot === vassal.slot ? state.pending.limits : state?.limits) ?? readHop3Config(context.env).limits;
      prepareCgroup(support, user.name, vassal.slot, limits);
    } catch (error) {
      context.logger?.warn(`The cgroup of ${file} could not be made again: ${(error as Error).message}`);
    }
  }
}

function appsOf(home: string): string[] {
  try {
    return readdirSync(`${home}/apps`).filter((app) => isValidAppName(app));
  } catch {
    return [];
  }
}
