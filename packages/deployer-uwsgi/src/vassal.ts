import { readdirSync, rmSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "@hop3/core";
import { iniPath } from "./ini.js";
import { parseVassalFileName, type Slot } from "./layout.js";

/** What goes into one vassal file: only paths under HOP3_HOME, never a user value. */
export interface VassalSpec {
  readonly app: string;
  readonly worker: string;
  readonly index: number;
  /** The unix socket uWSGI insists on binding, even when it only supervises a command. */
  readonly socket: string;
  readonly log: string;
  readonly launcher: string;
  /** Rotate the log past this many bytes; 0 never. */
  readonly logMaxBytes: number;
  /** Seconds uWSGI waits for the worker after SIGTERM before SIGKILL. */
  readonly stopTimeoutSeconds: number;
}

/**
 * Renders a vassal. Values go through `iniPath` (an allow-list, `%` doubled); the command that
 * runs is the launcher script, which holds the app's command and variables shell-quoted.
 * `attach-daemon2` runs it in a new session and respawns it when it exits; `stopsignal=15` and
 * `reload-mercy` make stop a SIGTERM to the whole process group, then SIGKILL.
 */
export function renderVassal(spec: VassalSpec): string {
  const lines = [
    `; Written by @hop3/deployer-uwsgi for app ${spec.app}, worker ${spec.worker}, instance ${spec.index}.`,
    "[uwsgi]",
    "master = true",
    `socket = ${iniPath(spec.socket, "The vassal socket")}`,
    "vacuum = true",
    "cheap = true",
    `logto = ${iniPath(spec.log, "The worker log")}`,
    ...(spec.logMaxBytes > 0 ? [`log-maxsize = ${spec.logMaxBytes}`] : []),
    `reload-mercy = ${Math.max(1, Math.ceil(spec.stopTimeoutSeconds))}`,
    `attach-daemon2 = cmd=exec /bin/sh ${iniPath(spec.launcher, "The launcher")},stopsignal=15`,
    "",
  ];
  return lines.join("\n");
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
