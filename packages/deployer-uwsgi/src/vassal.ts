import { readdirSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "@hop3/core";
import { renderCronLine, type UwsgiCronSchedule } from "./cron.js";
import { iniPath } from "./ini.js";
import { parseVassalFileName, type Slot } from "./layout.js";

/** Marks the vassals written for apps with users of their own; one without it is from an earlier version and runs as root. */
export const VASSAL_LAYOUT_MARK = "(layout 2)";

/** What goes into one vassal file: only paths under HOP3_HOME, numbers and cgroup files, never a user value. */
export interface VassalSpec {
  readonly app: string;
  readonly worker: string;
  readonly index: number;
  /** The unix socket uWSGI insists on binding, even when it only supervises a command. */
  readonly socket: string;
  readonly log: string;
  readonly launcher: string;
  /** Seconds uWSGI waits for the worker after SIGTERM before SIGKILL. */
  readonly stopTimeoutSeconds: number;
  /** The `cgroup.procs` files the master joins, as root, before it drops privileges (empty: none). */
  readonly cgroupProcs: readonly string[];
  /** RLIMIT_NOFILE of the master and so of every process under it, set as root (`max-fd`). */
  readonly openFiles?: number;
  /** The app's user: the master drops to it before it starts anything. Absent: the vassal keeps the emperor's user (container isolation, single-user installs). */
  readonly user?: { readonly uid: number; readonly gid: number };
  /** A cron worker: the master runs the launcher on this schedule (`cron2`) instead of keeping it running. */
  readonly cron?: UwsgiCronSchedule;
}

/**
 * Renders a vassal. Values go through `iniPath` (an allow-list, `%` doubled); the command that
 * runs is the launcher script, which holds the app's command and variables shell-quoted.
 * As root the master opens the log, joins the release's cgroups (`exec-as-root`: uWSGI's own
 * `cgroup` option writes `tasks`, which cgroup v2 lacks) and sets `max-fd`; then it drops to the
 * app's uid and gid (numeric: a name can silently fail) and binds its socket as the app.
 * `attach-daemon2` runs the launcher in a new session and respawns it when it exits;
 * `stopsignal=15` and `reload-mercy` make stop a SIGTERM to the whole process group, then SIGKILL.
 * No `log-maxsize`: it sends the worker's output through a non-blocking socket (a burst killed a
 * worker with EAGAIN), and would rotate as the app's user in root's directory; `maintain` rotates.
 */
export function renderVassal(spec: VassalSpec): string {
  const joinCgroups = spec.cgroupProcs.map((file) => `echo "$PPID" > ${iniPath(file, "The cgroup file")}`).join(" && ");
  const lines = [
    `; Written by @hop3/deployer-uwsgi ${VASSAL_LAYOUT_MARK} for app ${spec.app}, worker ${spec.worker}, instance ${spec.index}.`,
    "[uwsgi]",
    "master = true",
    `socket = ${iniPath(spec.socket, "The vassal socket")}`,
    "vacuum = true",
    "cheap = true",
    `logto = ${iniPath(spec.log, "The worker log")}`,
    ...(joinCgroups === "" ? [] : [`exec-as-root = ${joinCgroups}`]),
    ...(spec.openFiles === undefined ? [] : [`max-fd = ${positiveInteger(spec.openFiles, "open files")}`]),
    ...(spec.user === undefined ? [] : [`uid = ${positiveInteger(spec.user.uid, "uid")}`, `gid = ${positiveInteger(spec.user.gid, "gid")}`]),
    `reload-mercy = ${Math.max(1, Math.ceil(spec.stopTimeoutSeconds))}`,
    spec.cron === undefined ? `attach-daemon2 = cmd=exec /bin/sh ${iniPath(spec.launcher, "The launcher")},stopsignal=15` : renderCronLine(spec.cron, spec.launcher),
    "",
  ];
  return lines.join("\n");
}

/** True for a vassal written before apps had users (no layout mark): its master runs as root. */
export function isLegacyVassal(content: string): boolean {
  return !content.split("\n", 1)[0]!.includes(VASSAL_LAYOUT_MARK);
}

/** Reads a vassal file; undefined when there is none. */
export function readVassal(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function positiveInteger(value: number, what: string): string {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`A vassal's ${what} must be a positive integer, not ${value}.`);
  return String(value);
}

/**
 * Writes a vassal atomically (the emperor never reads half a file) and makes sure the emperor
 * sees it changed: it compares whole-second mtimes, so two writes within one second would look
 * like one and the second change would never be loaded.
 */
export function writeVassal(path: string, content: string): void {
  const previous = mtimeSeconds(path);
  writeFileAtomic(path, content);
  bumpMtime(path, previous);
}

/**
 * Writes a vassal the emperor does not know (a new one, or one removed and no longer listed by the
 * emperor): it is loaded at the next scan, which pokeEmperor starts at once, whatever its mtime.
 */
export function writeNewVassal(path: string, content: string): void {
  writeFileAtomic(path, content);
}

/** Makes the emperor reload a vassal (and restart its worker), as `touch` does, but always a newer second. */
export function touchVassal(path: string): boolean {
  const previous = mtimeSeconds(path);
  if (previous === undefined) return false;
  bumpMtime(path, previous);
  return true;
}

/** Removing a vassal makes the emperor stop it. True when there was one. */
export function removeVassal(path: string): boolean {
  const existed = mtimeSeconds(path) !== undefined;
  rmSync(path, { force: true });
  return existed;
}

/** The vassals of one app in the folder: exact match on the app part, so `rdrand` never sees `rdrand2`'s. */
export function listVassals(dir: string, app: string): Array<{ file: string; worker: string; index: number; slot: Slot }> {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  return files.flatMap((file) => {
    const parsed = parseVassalFileName(file);
    return parsed && parsed.app === app ? [{ file: join(dir, file), worker: parsed.worker, index: parsed.index, slot: parsed.slot }] : [];
  });
}

function mtimeSeconds(path: string): number | undefined {
  try {
    return Math.floor(statSync(path).mtimeMs / 1000);
  } catch {
    return undefined;
  }
}

function bumpMtime(path: string, previous: number | undefined): void {
  const now = Math.floor(Date.now() / 1000);
  const next = previous === undefined ? now : Math.max(now, previous + 1);
  utimesSync(path, next, next);
}
