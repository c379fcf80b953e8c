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
  /** `<home>/uwsgi`, root 0711: app users pass through it to their socket directory. */
  readonly root: string;
  /** The folder the emperor watches: one `<app>_<worker>.<n>.ini` per worker instance, and Hop3's own schedule. */
  readonly vassals: string;
  /** Unix sockets of the vassals (uWSGI needs one even when it only supervises a command): one directory per app. */
  readonly sockets: string;
  readonly pidFile: string;
  /** Connecting to it wakes the emperor, which then scans at once; it answers with JSON stats. */
  readonly statsSocket: string;
  readonly log: string;
  readonly lockFile: string;
  /** The vassal that runs `hop3 server maintain` every minute (see maintenance.ts). */
  readonly maintenanceVassal: string;
  readonly maintenanceScript: string;
  readonly maintenanceLog: string;
  readonly maintenanceSocket: string;
}

/**
 * The file name of Hop3's own vassal. It starts with `_`, which no app name can (app vassals are
 * `<app>_...` with app names of `[a-z0-9-]`), so it is never taken for an app's.
 */
export const MAINTENANCE_VASSAL = "_hop3-maintain.ini";

/**
 * The emperor's paths under HOP3_HOME. HOP3_HOME is checked here, once, with the vassal files'
 * rules (UWSGI_PATH_UNSAFE): every other path is HOP3_HOME plus validated names.
 */
export function emperorLayout(home: string): EmperorLayout {
  const absolute = resolve(home);
  iniPath(absolute, "HOP3_HOME");
  const root = join(absolute, "uwsgi");
  const sockets = join(root, "sockets");
  const statsSocket = join(root, "emperor.sock");
  checkSocketLength(statsSocket);
  const maintenanceSocket = join(sockets, "_hop3-maintain.sock");
  checkSocketLength(maintenanceSocket);
  return {
    home: absolute,
    root,
    vassals: join(root, "vassals"),
    sockets,
    pidFile: join(root, "emperor.pid"),
    statsSocket,
    log: join(root, "emperor.log"),
    lockFile: join(root, "emperor.lock"),
    maintenanceVassal: join(root, "vassals", MAINTENANCE_VASSAL),
    maintenanceScript: join(root, "maintain.sh"),
    maintenanceLog: join(root, "maintain.log"),
    maintenanceSocket,
  };
}

/** An app's own files: everything the deployer keeps for it, and nothing else, lives here. */
export interface AppLayout {
  readonly app: string;
  readonly appDir: string;
  /** artifact.json, state.json (root 0700: they hold the app's variables). */
  readonly deployDir: string;
  readonly artifactFile: string;
  readonly stateFile: string;
  /** Launchers, pid files and container env files (root 0711: app users reach their own files by name, list nothing). */
  readonly runDir: string;
  /** Where launchers and pid files were before apps had users of their own (`deploy/run`): read to stop what still runs from there. */
  readonly legacyRunDir: string;
  /** `<worker>.<n>.log`, one per instance (root 0700: uWSGI opens them as root, before it drops privileges). */
  readonly logsDir: string;
  /** The app's socket directory (`<home>/uwsgi/sockets/<app>`, the app's own 0700: its vassals bind there after dropping privileges). */
  readonly socketDir: string;
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
    runDir: join(appDir, "run"),
    legacyRunDir: join(deployDir, "run"),
    logsDir: join(appDir, "logs"),
    socketDir: appSocketDir(join(resolve(home), "uwsgi", "sockets"), app),
  };
}

/**
 * `<sockets>/<app>` when a hashed socket name still fits in sun_path below it; else `_` and a hash
 * of the app name (`_` is in no app name, so the two kinds never meet).
 */
function appSocketDir(sockets: string, app: string): string {
  const readable = join(sockets, app);
  if (Buffer.byteLength(join(readable, `${"0".repeat(16)}.sock`)) <= MAX_SOCKET_PATH) return readable;
  return join(sockets, `_${createHash("sha256").update(app).digest("hex").slice(0, 12)}`);
}

/**
 * A release runs in one of two slots, so a new one can start beside the running one. Slot `a`
 * keeps the original file names (`web.1.sh`); slot `b` adds `.b` (`web.1.b.sh`).
 */
export type Slot = "a" | "b";

export const otherSlot = (slot: Slot): Slot => (slot === "a" ? "b" : "a");

/** How an instance's workers are boxed (the artifact's `runtime.isolation`). */
export type Isolation = "user" | "container";

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
  /** Container isolation: the app's variables, for `docker run --env-file`. */
  readonly envFile: string;
  readonly log: string;
  /** In the app's socket directory (its vassal binds it as the app's user). */
  readonly socket: string;
  /** For a vassal that runs as root (container isolation): in the emperor's socket directory, which only root writes. */
  readonly rootSocket: string;
  /** Where this instance's files were before apps had users of their own. */
  readonly legacy: { readonly launcher: string; readonly pidFile: string };
}

export const instanceKey = (worker: string, index: number): string => `${worker}.${index}`;

/** The instance's file stem in a slot. */
export const instanceStem = (worker: string, index: number, slot: Slot = "a"): string => (slot === "a" ? instanceKey(worker, index) : `${instanceKey(worker, index)}.${slot}`);

/** `<app>_<worker>.<n>.ini` (slot b: `<app>_<worker>.<n>.b.ini`): app names never contain `_`, so the app is whatever precedes the first one. */
export const vassalFileName = (app: string, worker: string, index: number, slot: Slot = "a"): string => `${app}_${instanceStem(worker, index, slot)}.ini`;

const VASSAL_FILE = /^([a-z0-9-]+)_([A-Za-z][A-Za-z0-9_-]*)\.([1-9][0-9]*)(\.b)?\.ini$/;

/** Reads a vassal file name back; undefined for anything else in the folder (temporary files, Hop3's own vassal...). */
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
    envFile: join(app.runDir, `${stem}.env`),
    log: join(app.logsDir, `${key}.log`),
    socket: socketPath(app.socketDir, stem),
    rootSocket: socketPath(emperor.sockets, `${app.app}_${stem}`),
    legacy: { launcher: join(app.legacyRunDir, `${stem}.sh`), pidFile: join(app.legacyRunDir, `${stem}.pid`) },
  };
}

/** A readable socket name when it fits in sun_path, else a hash of it (hex: no `.`, so never a readable name). */
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
