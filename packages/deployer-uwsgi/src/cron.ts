import { readdirSync } from "node:fs";
import { join } from "node:path";
import { CRON_FIELD_RANGES, cronFieldValues, findAppUser, findProgram, isAlive, isCronWorker, isValidAppName, parseCron, shellQuote, waitUntil, type AppUser, type WorkerStatus } from "@hop3/core";
import { SYSTEM_PATH } from "./box.js";
import { uwsgiError } from "./errors.js";
import { iniPath } from "./ini.js";
import { appLayout, emperorLayout, instancePaths, parseVassalFileName, type AppLayout, type InstancePaths } from "./layout.js";
import { launcherPreamble, type LauncherSpec } from "./launcher.js";
import { readInstancePid, signalInstance, type InstancePid } from "./pids.js";

/**
 * Longest one run of a cron worker may last before uWSGI kills it (cron2 `harakiri`), in seconds:
 * a hung job would otherwise keep every later run from starting (`unique`).
 */
export const CRON_TIME_LIMIT_SECONDS = 3600;

/**
 * How a five-field schedule runs under uWSGI's `cron2`. uWSGI takes one number per field, or `-n`
 * for "when the value is a multiple of n", and nothing for `*`. That is exactly cron's meaning for
 * `*`, a single value, and `*\/n` in minutes, hours and weekdays (which count from 0), but not for
 * `*\/n` in days and months (cron counts them from 1), lists or ranges. Those fields are left to
 * uWSGI as `*` and checked by the launcher before it runs anything (`guard`). When both the day of
 * month and the day of week are restricted, cron runs on either: both go to the guard.
 */
export interface UwsgiCronSchedule {
  /** The cron2 keys (`minute=0,hour=-2`), possibly empty (every minute). */
  readonly keys: string;
  /** Per field (minute, hour, day, month, weekday), the values allowed, or undefined where uWSGI checks it. */
  readonly guard?: ReadonlyArray<readonly number[] | undefined>;
}

const UWSGI_KEYS = ["minute", "hour", "day", "month", "week"] as const;
const DAY = 2;
const WEEKDAY = 4;

/** Translates a schedule that parseCron accepted (five fields, space-separated). */
export function uwsgiCronSchedule(schedule: string): UwsgiCronSchedule {
  const fields = schedule.split(" ");
  const restricted = (i: number) => fields[i] !== "*";
  const bothDays = restricted(DAY) && restricted(WEEKDAY);
  const keys: string[] = [];
  const guard: Array<number[] | undefined> = [];
  fields.forEach((field, i) => {
    const { min, max } = CRON_FIELD_RANGES[i]!;
    const native = bothDays && (i === DAY || i === WEEKDAY) ? undefined : nativeValue(field, i);
    guard.push(native === undefined ? normalizeWeekdays(cronFieldValues(field, min, max), i) : undefined);
    if (native !== undefined && native !== "*") keys.push(`${UWSGI_KEYS[i]}=${native}`);
  });
  return { keys: keys.join(","), ...(guard.some((values) => values !== undefined) && { guard }) };
}

/** The uWSGI value of a field when it means the same as in cron: `*`, a number, or `-n` for `*\/n` where counting starts at 0. */
function nativeValue(field: string, index: number): string | undefined {
  if (field === "*") return "*";
  if (/^\d+$/.test(field)) return index === WEEKDAY && field === "7" ? "0" : String(Number(field));
  const step = /^\*\/(\d+)$/.exec(field);
  if (step && index !== DAY && index !== 3) return `-${Number(step[1])}`;
  return undefined;
}

/** Sunday is 0 and 7 in cron, 0 in `date +%w`. */
const normalizeWeekdays = (values: number[], index: number): number[] => (index === WEEKDAY ? [...new Set(values.map((day) => (day === 7 ? 0 : day)))].sort((a, b) => a - b) : values);

/** The `cron2` line of a cron worker's vassal: the launcher, once per matching minute, never twice at once, killed after the time limit. */
export function renderCronLine(schedule: UwsgiCronSchedule, launcher: string): string {
  const options = [...(schedule.keys === "" ? [] : [schedule.keys]), "unique=1", `harakiri=${CRON_TIME_LIMIT_SECONDS}`].join(",");
  // `exec`: the launcher is then the process uWSGI started, the leader of the run's own session.
  return `cron2 = ${options} exec /bin/sh ${iniPath(launcher, "The launcher")}`;
}

/** What a cron worker's launcher needs beyond a worker's. */
export interface CronLauncherSpec extends LauncherSpec {
  readonly schedule: UwsgiCronSchedule;
  /** A file of the app's, shared by both release slots: a run holds it, so a run of the other slot is skipped meanwhile. */
  readonly lockFile: string;
  /** Absolute path of util-linux's flock. */
  readonly flock: string;
}

/**
 * Renders the script each run of a cron worker starts: the schedule's guard (before anything, in
 * the emperor's time zone, as uWSGI reads the clock), the worker's environment and directory as
 * for any worker, the lock (a run still going in the other slot, during a deploy, is not joined by
 * a second one), then the command, and a last line in the log with its exit code and duration.
 */
export function renderCronLauncher(spec: CronLauncherSpec): string {
  const { preamble, run } = launcherPreamble(spec);
  const lines = [...preamble.slice(0, 3), ...guardLines(spec.schedule), ...preamble.slice(3)];
  const label = `${spec.worker}.${spec.index}`;
  lines.push(
    `exec 9>>${shellQuote(spec.lockFile)} || exit 1`,
    `if ! ${shellQuote(spec.flock)} -n 9; then echo "[hop3-cron] ${label}: skipped, the previous run is still going"; exit 0; fi`,
    `hop3_started=$(date +%s)`,
    `echo "[hop3-cron] ${label}: started"`,
    `${run} 9>&-`,
    "hop3_code=$?",
    `echo "[hop3-cron] ${label}: exited with code $hop3_code after $(( $(date +%s) - hop3_started )) s"`,
    "exit $hop3_code",
    "",
  );
  return lines.join("\n");
}

function guardLines(schedule: UwsgiCronSchedule): string[] {
  if (schedule.guard === undefined) return [];
  const [minute, hour, day, month, weekday] = schedule.guard;
  const test = (values: readonly number[] | undefined, variable: string) => (values === undefined ? undefined : `case ,${values.join(",")}, in *,${variable},*) ;; *) exit 0 ;; esac`);
  const lines = ["# The parts of the schedule uWSGI cannot check: a run outside them ends here, silently.", "set -- $(date '+%-M %-H %-d %-m %w')"];
  for (const line of [test(minute, "$1"), test(hour, "$2"), test(month, "$4")]) if (line !== undefined) lines.push(line);
  if (day !== undefined && weekday !== undefined) {
    lines.push(`case ,${day.join(",")}, in *,$3,*) ;; *) case ,${weekday.join(",")}, in *,$5,*) ;; *) exit 0 ;; esac ;; esac`);
  } else {
    for (const line of [test(day, "$3"), test(weekday, "$5")]) if (line !== undefined) lines.push(line);
  }
  return lines;
}

/** A cron worker's schedule and command, from its value in the artifact (checked again: the artifact may come from any builder). */
export function cronWorker(worker: string, value: string): { schedule: UwsgiCronSchedule; command: string; text: string } {
  const job = parseCron({ name: worker, command: value, line: 0 }, "the artifact's workers");
  return { schedule: uwsgiCronSchedule(job.schedule), command: job.command, text: job.schedule };
}

/** The lock a cron worker's runs hold, in the app's run directory: one for both slots. */
export const cronLockFile = (layout: AppLayout, key: string): string => join(layout.runDir, `${key}.lock`);

/** util-linux's flock, looked for where the system programs are (never the app's PATH). */
export function systemFlock(): string {
  const flock = findProgram("flock", { PATH: SYSTEM_PATH });
  if (flock === undefined) {
    throw uwsgiError("UWSGI_SYSTEM_PROGRAM_MISSING", `flock was not found in ${SYSTEM_PATH}; every run of a cron worker takes its lock through it.`, { details: { program: "flock" } });
  }
  return flock;
}

/**
 * SIGTERM to the run of each cron instance still going: uWSGI stops a daemon with its vassal but
 * leaves a cron command running. The run leads its own session (the pid its launcher wrote), so
 * the whole group gets it; the caller waits for it and kills what is left at its time limit.
 */
export function stopCronRuns(files: readonly InstancePaths[], user: AppUser | undefined): InstancePid[] {
  const runs: InstancePid[] = [];
  for (const file of files) {
    if (!isCronWorker(file.key.slice(0, file.key.lastIndexOf(".")))) continue;
    const run = readInstancePid(file, user);
    if (run !== undefined && isAlive(run.pid) && signalInstance(user, run, "SIGTERM", true)) runs.push(run);
  }
  return runs;
}

/**
 * Stops the cron runs of every app whose vassal is in the folder, once the emperor is gone (`server
 * stop`): SIGTERM to each run's group, SIGKILL to what is left after `timeoutMs`.
 */
export async function stopAllCronRuns(home: string, env: Readonly<Record<string, string | undefined>>, timeoutMs: number): Promise<void> {
  const emperor = emperorLayout(home);
  let files: string[];
  try {
    files = readdirSync(emperor.vassals);
  } catch {
    return;
  }
  const stopped: Array<{ user: AppUser | undefined; run: InstancePid }> = [];
  for (const vassal of files.flatMap((file) => parseVassalFileName(file) ?? [])) {
    if (!isCronWorker(vassal.worker) || !isValidAppName(vassal.app)) continue;
    const user = findAppUser({ home, env }, vassal.app);
    const paths = instancePaths(emperor, appLayout(home, vassal.app), vassal.worker, vassal.index, vassal.slot);
    for (const run of stopCronRuns([paths], user)) stopped.push({ user, run });
  }
  if (stopped.length === 0) return;
  await waitUntil(() => stopped.every(({ run }) => !isAlive(run.pid)), { timeoutMs });
  for (const { user, run } of stopped) if (isAlive(run.pid)) signalInstance(user, run, "SIGKILL", true);
}

/** A scheduled cron worker runs (its schedule is live) whether or not one of its runs is under way. */
export function cronStatus(base: Pick<WorkerStatus, "worker" | "instance">, schedule: string, pid: number | undefined): WorkerStatus {
  const going = pid !== undefined && isAlive(pid);
  return { ...base, state: "running", ...(going && { pid }), detail: `scheduled ${schedule}${going ? `; a run is under way (pid ${pid})` : ""}` };
}
