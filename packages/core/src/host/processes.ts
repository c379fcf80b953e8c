import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import type { AppUser } from "./users.js";
import { sleep } from "./waiting.js";

/** The real uid of a process, from /proc; undefined when it is gone. */
export function processUid(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^Uid:\s+(\d+)/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Live processes (not zombies) whose real uid is `uid`. */
export function processesOfUid(uid: number): number[] {
  return allPids().filter((pid) => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const uidMatch = /^Uid:\s+(\d+)/m.exec(status);
      const state = /^State:\s+(\S)/m.exec(status)?.[1];
      return uidMatch !== null && Number(uidMatch[1]) === uid && state !== "Z" && state !== "X";
    } catch {
      return false;
    }
  });
}

/**
 * Signals a process only if the app's user owns it. Pid files an app's processes write are the
 * app's to write: a pid of someone else's read from one must never be signalled by Hop3 as root.
 * In a single-user install every process is Hop3's own user's, so the check is the uid of Hop3.
 * Returns whether the signal was sent.
 */
export function signalAppProcess(user: AppUser, pid: number, signal: NodeJS.Signals, group = false): boolean {
  if (!Number.isInteger(pid) || pid <= 1 || processUid(pid) !== user.uid) return false;
  try {
    process.kill(group ? -pid : pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops every process of an app's dedicated user: SIGKILL, until none is left or `timeoutMs`
 * passed (destroy, after the deployer stopped what it knew of: this catches what an app started
 * and detached). Returns the pids still alive (none, normally). Never used in a single-user
 * install, where the app's user is Hop3's own.
 */
export async function killAppProcesses(user: AppUser, timeoutMs = 5_000): Promise<number[]> {
  if (!user.dedicated || user.uid === 0) return [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = processesOfUid(user.uid);
    if (pids.length === 0 || Date.now() > deadline) return pids;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    await sleep(25);
  }
}

/** What /proc/<pid>/stat says of a process (Linux). */
export interface ProcessStat {
  /** One letter: R running, S sleeping, Z zombie, X dead... */
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
  /** When it started, in clock ticks since boot (field 22): with the pid, names one process for good. */
  readonly startTime: number;
}

/** The stat of a process, or undefined when it is gone (or there is no /proc). */
export function processStat(pid: number): ProcessStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: the fields start after the last ")", at field 3.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "?", ppid: Number(fields[1]), pgrp: Number(fields[2]), session: Number(fields[3]), startTime: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

/**
 * True when the process exists and is not a zombie: `kill(pid, 0)` alone says yes for a zombie,
 * which is what a daemon that exited becomes until it is reaped. With `startTime`, also false when
 * the pid now names another process (pids are reused). Without /proc, falls back to `kill(pid, 0)`.
 */
export function isAlive(pid: number, startTime?: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const stat = processStat(pid);
  if (stat === undefined) return !existsSync("/proc/self/stat") && signalZero(pid);
  return stat.state !== "Z" && stat.state !== "X" && (startTime === undefined || stat.startTime === startTime);
}

function signalZero(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The arguments of a process (as it shows them: nginx rewrites its own); empty when it is gone. */
export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((arg) => arg !== "");
  } catch {
    return [];
  }
}

/** What a process holds open: the targets of /proc/<pid>/fd/* (`/var/log/x.log`, `socket:[1234]`); empty when it is gone or not ours to read. */
export function openFiles(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  return fds.flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/${pid}/fd/${fd}`)];
    } catch {
      return []; // closed meanwhile
    }
  });
}

/** Every live process (not zombies), by pid; empty without /proc. */
export function livePids(): number[] {
  return allPids().filter((pid) => isAlive(pid));
}

/** Live children of a process. */
export function childrenOf(parent: number): number[] {
  return allPids().filter((pid) => {
    const stat = processStat(pid);
    return stat?.ppid === parent && stat.state !== "Z" && stat.state !== "X";
  });
}

function allPids(): number[] {
  try {
    return readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number);
  } catch {
    return [];
  }
}

/**
 * The pid in a pid file, or undefined when there is none (missing, empty, half-written). Never 1
 * or less: signalling -1 would reach every process, and init is nobody's worker.
 */
export function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}
