import { readdirSync, readFileSync } from "node:fs";
import type { AppUser } from "./users.js";

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
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      const uidMatch = /^Uid:\s+(\d+)/m.exec(status);
      const state = /^State:\s+(\S)/m.exec(status)?.[1];
      return uidMatch && Number(uidMatch[1]) === uid && state !== "Z" && state !== "X" ? [Number(entry)] : [];
    } catch {
      return [];
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
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
