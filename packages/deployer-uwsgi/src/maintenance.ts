import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { capLogDirectory, isValidAppName, shellQuote, readHop3Config, rotateInPlace, writeFileAtomic, type OperationContext, type RotationPolicy } from "@hop3/core";
import { uwsgiError } from "./errors.js";
import { iniPath } from "./ini.js";
import { appLayout, emperorLayout, type EmperorLayout } from "./layout.js";
import { writeVassal } from "./vassal.js";

/** The log of an instance, `<worker>.<n>.log`; rotated copies (`.log.1`...) do not match. */
export const WORKER_LOG_FILE = /^([A-Za-z][A-Za-z0-9_-]*)\.([1-9][0-9]*)\.log$/;

/** What Hop3's own schedule needs: HOP3_HOME, Hop3's environment, and how to run Hop3's CLI. */
export interface ScheduleContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly hop3Command?: readonly string[];
}

/** Longest a `hop3 server maintain` may run before uWSGI kills it (cron2 `harakiri`), in seconds. */
const MAINTAIN_TIME_LIMIT_SECONDS = 300;

/**
 * The script the schedule runs: `<hop3Command> server maintain`, as root, with HOP3_HOME (and
 * HOP3_CONFIG and PATH when Hop3 has them). Every value is single-quoted here, so the vassal holds
 * only this script's path.
 */
export function renderMaintenanceScript(home: string, hop3Command: readonly string[], env: Readonly<Record<string, string | undefined>>): string {
  if (hop3Command.length === 0 || hop3Command.some((arg) => arg.includes("\0"))) {
    throw uwsgiError("UWSGI_PATH_UNSAFE", "Hop3's command line is empty or holds a NUL character: it cannot be scheduled.", { details: { hop3Command } });
  }
  const exported = { HOP3_HOME: home, ...(env.HOP3_CONFIG && { HOP3_CONFIG: env.HOP3_CONFIG }), ...(env.PATH && { PATH: env.PATH }) };
  return [
    "#!/bin/sh",
    "# Written by @hop3/deployer-uwsgi: Hop3's own schedule, run every minute by the uWSGI emperor (vassal _hop3-maintain.ini).",
    ...Object.entries(exported).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
    `exec ${[...hop3Command, "server", "maintain"].map(shellQuote).join(" ")}`,
    "",
  ].join("\n");
}

/**
 * Hop3's own vassal: a master that only runs the maintenance script every minute (`cron2`; with
 * `unique`, never twice at once), as root. uWSGI needs a socket even here.
 */
export function renderMaintenanceVassal(layout: EmperorLayout): string {
  return [
    "; Written by @hop3/deployer-uwsgi: Hop3's own schedule, `hop3 server maintain` every minute, as root.",
    "[uwsgi]",
    "master = true",
    `socket = ${iniPath(layout.maintenanceSocket, "The schedule's socket")}`,
    "vacuum = true",
    "cheap = true",
    `logto = ${iniPath(layout.maintenanceLog, "The schedule's log")}`,
    `cron2 = unique=1,harakiri=${MAINTAIN_TIME_LIMIT_SECONDS} /bin/sh ${iniPath(layout.maintenanceScript, "The schedule's script")}`,
    "",
  ].join("\n");
}

/**
 * Writes (or updates) Hop3's schedule when Hop3 says how to run itself (`hop3Command`); without
 * it an existing schedule is left as it is. True when the vassal or its script changed.
 */
export function ensureMaintenanceSchedule(layout: EmperorLayout, context: ScheduleContext): boolean {
  if (context.hop3Command === undefined) return false;
  const script = renderMaintenanceScript(layout.home, context.hop3Command, context.env);
  const vassal = renderMaintenanceVassal(layout);
  const scriptChanged = readText(layout.maintenanceScript) !== script;
  if (scriptChanged) writeFileAtomic(layout.maintenanceScript, script, 0o700);
  if (!scriptChanged && readText(layout.maintenanceVassal) === vassal) return false;
  writeVassal(layout.maintenanceVassal, vassal);
  return true;
}

/**
 * Keeps the logs within Hop3's config `logs`: each app's worker logs rotated in place past
 * `maxBytes` (uWSGI keeps them open with O_APPEND: nothing is signalled or restarted), each app's
 * logs directory capped at `appCapBytes`, and the emperor's and the schedule's logs rotated in
 * place. Returns one line per thing done.
 */
export async function maintainLogs(context: OperationContext): Promise<string[]> {
  const { logs } = readHop3Config(context.env);
  const policy: RotationPolicy = { maxBytes: logs.maxBytes, keep: logs.keep };
  const emperor = emperorLayout(context.home);
  const done: string[] = [];
  for (const app of listDir(join(emperor.home, "apps")).filter(isValidAppName)) {
    const dir = appLayout(emperor.home, app).logsDir;
    for (const file of listDir(dir).filter((name) => WORKER_LOG_FILE.test(name))) rotate(join(dir, file), policy, done);
    const freed = capLogDirectory(dir, logs.appCapBytes);
    if (freed > 0) done.push(`Freed ${freed} bytes of ${app}'s logs in ${dir}, to keep them within ${logs.appCapBytes} bytes.`);
  }
  for (const log of [emperor.log, emperor.maintenanceLog]) rotate(log, policy, done);
  return done;
}

function rotate(path: string, policy: RotationPolicy, done: string[]): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return;
  }
  if (rotateInPlace(path, policy)) done.push(`Rotated ${path} (${size} bytes).`);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
