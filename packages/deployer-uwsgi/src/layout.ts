import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { appStateDir } from "@hop3/core";
import { uwsgiError } from "./errors.js";
import { iniPath } from "./ini.js";

/** Linux's sun_path holds 108 bytes including the final NUL. */
const MAX_SOCKET_PATH = 107;

/** Where the one emperor of a HOP3_HOME keeps its files. */
export interface EmperorLayout {
  readonly home: string;
  readonly root: string;
  /** The folder the emperor watches: one `<app>_<worker>.<n>.ini` per worker instance. */
  readonly vassals: string;
  /** Unix sockets of the vassals (uWSGI needs one even when it only supervises a command). */
  readonly sockets: string;
  readonly pidFile: string;
  /** Connecting to it wakes the emperor, which then scans at once; it answers with JSON stats. */
  readonly statsSocket: string;
  readonly log: string;
  readonly lockFile: string;
}

/**
 * The emperor's paths under HOP3_HOME. HOP3_HOME is checked here, once, with the vassal files'
 * rules (UWSGI_PATH_UNSAFE): every other path is HOP3_HOME plus validated names.
 */
export function emperorLayout(home: string): EmperorLayout {
  const absolute = resolve(home);
  iniPath(absolute, "HOP3_HOME");
  const root = join(absolute, "uwsgi");
  const statsSocket = join(root, "emperor.sock");
  checkSocketLength(statsSocket);
  return {
    home: absolute,
    root,
    vassals: join(root, "vassals"),
    sockets: join(root, "sockets"),
    pidFile: join(root, "emperor.pid"),
    statsSocket,
    log: join(root, "emperor.log"),
    lockFile: join(root, "emperor.lock"),
  };
}

/** An app's own files: everything the deployer keeps for it, and nothing else, lives here. */
export interface AppLayout {
  readonly app: string;
  readonly appDir: string;
  /** artifact.json, state.json and run/ (launchers and pid files). */
  readonly deployDir: string;
  readonly artifactFile: string;
  readonly stateFile: string;
  readonly runDir: string;
  /** `<worker>.<n>.log`, one per instance. */
  readonly logsDir: string;
}

/** The app name must already be valid (a DNS label). */
export function appLayout(home: string, app: string): AppLayout {
  const appDir = appStateDir(resolve(home), app);
  const deployDir = join(appDir, "deploy");
  return {
    app,
    appDir,
    deployDir,
    artifactFile: join(deployDir, "artifact.json"),
    stateFile: join(deployDir, "state.json"),
    runDir: join(deployDir, "run"),
    logsDir: join(appDir, "logs"),
  };
}

/**
 * A release runs in one of two slots, so a new one can start beside the running one. Slot `a`
 * keeps the original file names (`web.1.sh`); slot `b` adds `.b` (`web.1.b.sh`).
 */
export type Slot = "a" | "b";

export const otherSlot = (slot: Slot): Slot => (slot === "a" ? "b" : "a");

/** One worker instance's files. */
export interface InstancePaths {
  /** `<worker>.<n>`, the instance's key in state and file names. */
  readonly key: string;
  readonly slot: Slot;
  /** `<worker>.<n>` in slot a, `<worker>.<n>.b` in slot b: the name of its vassal, launcher, pid file and socket. */
  readonly stem: string;
  readonly vassal: string;
  readonly launcher: string;
  readonly pidFile: string;
  readonly log: string;
  readonly socket: string;
}

export const instanceKey = (worker: string, index: number): string => `${worker}.${index}`;

/** The instance's file stem in a slot. */
export const instanceStem = (worker: string, index: number, slot: Slot = "a"): string => (slot === "a" ? instanceKey(worker, index) : `${instanceKey(worker, index)}.${slot}`);

/** `<app>_<worker>.<n>.ini` (slot b: `<app>_<worker>.<n>.b.ini`): app names never contain `_`, so the app is whatever precedes the first one. */
export const vassalFileName = (app: string, worker: string, index: number, slot: Slot = "a"): string => `${app}_${instanceStem(worker, index, slot)}.ini`;

const VASSAL_FILE = /^([a-z0-9-]+)_([A-Za-z][A-Za-z0-9_-]*)\.([1-9][0-9]*)(\.b)?\.ini$/;

/** Reads a vassal file name back; undefined for anything else in the folder (temporary files...). */
export function parseVassalFileName(file: string): { app: string; worker: string; index: number; slot: Slot } | undefined {
  const match = VASSAL_FILE.exec(file);
  return match ? { app: match[1]!, worker: match[2]!, index: Number(match[3]), slot: match[4] ? "b" : "a" } : undefined;
}

/** Both slots write to the instance's one log file (`<worker>.<n>.log`), so `hop3 logs` shows a release change in order. */
export function instancePaths(emperor: EmperorLayout, app: AppLayout, worker: string, index: number, slot: Slot = "a"): InstancePaths {
  const key = instanceKey(worker, index);
  const stem = instanceStem(worker, index, slot);
  return {
    key,
    slot,
    stem,
    vassal: join(emperor.vassals, vassalFileName(app.app, worker, index, slot)),
    launcher: join(app.runDir, `${stem}.sh`),
    pidFile: join(app.runDir, `${stem}.pid`),
    log: join(app.logsDir, `${key}.log`),
    socket: socketPath(emperor.sockets, `${app.app}_${stem}`),
  };
}

/** A readable socket name when it fits in sun_path, else a hash of it. */
function socketPath(dir: string, name: string): string {
  const readable = join(dir, `${name}.sock`);
  if (Buffer.byteLength(readable) <= MAX_SOCKET_PATH) return readable;
  const hashed = join(dir, `${createHash("sha256").update(name).digest("hex").slice(0, 16)}.sock`);
  checkSocketLength(hashed);
  return hashed;
}

function checkSocketLength(path: string): void {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw uwsgiError("UWSGI_SOCKET_PATH_TOO_LONG", `The unix socket path ${path} is ${Buffer.byteLength(path)} bytes long; the limit is ${MAX_SOCKET_PATH}.`, {
      details: { path },
    });
  }
}
