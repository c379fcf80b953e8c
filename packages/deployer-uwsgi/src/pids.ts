import { lstatSync } from "node:fs";
import { isAlive, processUid, readPid, runsAsRoot, signalAppProcess, type AppUser } from "@hop3/core";
import type { InstancePaths } from "./layout.js";

/** A pid read from an instance's pid file, and whether the file can be believed. */
export interface InstancePid {
  readonly pid: number;
  /**
   * True when root wrote the file in a directory only root writes (an instance that runs as root:
   * container isolation, or a home from before app users): its pid may be signalled as it is.
   * Otherwise the app wrote it, and could have written any pid: it is signalled only through
   * `signalAppProcess`, which checks that the process is the app's.
   */
  readonly trusted: boolean;
}

/**
 * The pid in one pid file and whether the file is root's, unchecked: for finding an instance's
 * session (whose leader may be gone). Undefined when the file is missing, empty or not a file.
 */
export function readPidFile(path: string): InstancePid | undefined {
  const trusted = isRootsFile(path);
  if (trusted === undefined) return undefined;
  const pid = readPid(path);
  return pid === undefined ? undefined : { pid, trusted };
}

/** True when a pid from a pid file may be taken as the app's instance: the file is root's, or the process is the app user's. */
export const isOwnedPid = (target: InstancePid, user: AppUser | undefined): boolean => target.trusted || (user !== undefined && processUid(target.pid) === user.uid);

/** The pid file an instance's launcher writes now: the new one once it exists, else where it was before apps had users (`deploy/run/`). */
export function currentPidFile(files: InstancePaths): string {
  return isRootsFile(files.pidFile) === undefined && isRootsFile(files.legacy.pidFile) !== undefined ? files.legacy.pidFile : files.pidFile;
}

/**
 * The pid of an instance's session leader (see currentPidFile). Undefined when there is none, or
 * when an app-written file names a process that is not the app's (it points Hop3 at someone else's).
 */
export function readInstancePid(files: InstancePaths, user: AppUser | undefined): InstancePid | undefined {
  const found = readPidFile(currentPidFile(files));
  return found !== undefined && isOwnedPid(found, user) ? found : undefined;
}

/** True when the instance's session leader runs. */
export function instanceRuns(files: InstancePaths, user: AppUser | undefined): boolean {
  const found = readInstancePid(files, user);
  return found !== undefined && isAlive(found.pid);
}

/** Signals an instance's process group (or one process): directly when the pid is trusted, else only if the process is the app's. */
export function signalInstance(user: AppUser | undefined, target: InstancePid, signal: NodeJS.Signals, group = true): boolean {
  if (!target.trusted) return user !== undefined && signalAppProcess(user, target.pid, signal, group);
  try {
    process.kill(group ? -target.pid : target.pid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}

/**
 * Whether a pid file was written by root (true), by someone else (false), or is not a regular
 * file at all (undefined). Only root's own files are trusted, and only when Hop3 runs as root: a
 * single-user install runs everything as one user, whose files prove nothing.
 */
export function isRootsFile(path: string): boolean | undefined {
  try {
    const stat = lstatSync(path);
    if (!stat.isFile()) return undefined;
    return stat.uid === 0 && runsAsRoot();
  } catch {
    return undefined;
  }
}
