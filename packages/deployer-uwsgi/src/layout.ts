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

/** One worker instance's files. */
export interface InstancePaths {
  /** `<worker>.<n>`, the instance's key in state and file names. */
  readonly key: string;
  readonly vassal: string;
  readonly launcher: string;
  readonly pidFile: string;
  readonly log: string;
  readonly socket: string;
}

export const instanceKey = (worker: string, index: number): string => `${worker}.${index}`;

/** `<app>_<worker>.<n>.ini`: app names never contain `_`, so the app is whatever precedes the first one. */
export const vassalFileName = (app: string, worker: string, index: number): string => `${app}_${worker}.${index}.ini`;

const VASSAL_FILE = /^([a-z0-9-]+)_([A-Za-z][A-Za-z0-9_-]*)\.([1-9][0-9]*)\.ini$/;

/** Reads a vassal file name back; undefined for anything else in the folder (temporary files...). */
export function parseVassalFileName(file: string): { app: string; worker: string; index: number } | undefined {
  const match = VASSAL_FILE.exec(file);
  return match ? { app: match[1]!, worker: match[2]!, index: Number(match[3]) } : undefined;
}

export function instancePaths(emperor: EmperorLayout, app: AppLayout, worker: string, index: number): InstancePaths {
  const key = instanceKey(worker, index);
  return {
    key,
    vassal: join(emperor.vassals, vassalFileName(app.app, worker, index)),
    launcher: join(app.runDir, `${key}.sh`),
    pidFile: join(app.runDir, `${key}.pid`),
    log: join(app.logsDir, `${key}.log`),
    socket: socketPath(emperor.sockets, `${app.app}_${key}`),
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
