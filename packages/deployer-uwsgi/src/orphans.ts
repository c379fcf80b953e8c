import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive, readPid, sleep } from "./process.js";

/** The variable every worker process carries, naming its instance: `<app>_<worker>.<n>`, like its vassal. */
export const INSTANCE_VARIABLE = "HOP3_INSTANCE";

/** A worker instance's session: the launcher's pid (uWSGI made it a session leader) and its name. */
export interface InstanceSession {
  readonly sid: number;
  readonly instance: string;
}

/**
 * Kills what is left of instances whose launcher is gone. When a vassal dies abruptly (its
 * emperor was killed, the OOM killer), uWSGI kills the launcher but not the launcher's children,
 * which keep running and holding the port. They still carry the launcher's session id and the
 * instance's HOP3_INSTANCE: both must match, so a pid reused by an unrelated program is never hit.
 * SIGTERM, then SIGKILL after a grace period. Returns the pids it signalled.
 */
export async function sweepOrphans(sessions: readonly InstanceSession[], graceMs = 2_000): Promise<number[]> {
  const wanted = new Map(sessions.filter((session) => !isAlive(session.sid)).map((session) => [session.sid, session.instance]));
  if (wanted.size === 0) return [];
  const orphans = listProcesses().filter((proc) => {
    const instance = wanted.get(proc.sid);
    return instance !== undefined && environHas(proc.pid, `${INSTANCE_VARIABLE}=${instance}`);
  });
  for (const orphan of orphans) signal(orphan.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (orphans.some((orphan) => isAlive(orphan.pid)) && Date.now() < deadline) await sleep(25);
  for (const orphan of orphans) if (isAlive(orphan.pid)) signal(orphan.pid, "SIGKILL");
  return orphans.map((orphan) => orphan.pid);
}

/** The sessions recorded in an app's run directory (`<worker>.<n>.pid` files). */
export function recordedSessions(runDir: string, app: string): InstanceSession[] {
  let files: string[];
  try {
    files = readdirSync(runDir).filter((file) => file.endsWith(".pid"));
  } catch {
    return [];
  }
  return files.flatMap((file) => {
    const sid = readPid(join(runDir, file));
    return sid === undefined ? [] : [{ sid, instance: `${app}_${file.slice(0, -".pid".length)}` }];
  });
}

function listProcesses(): Array<{ pid: number; sid: number }> {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return []; // no procfs: nothing to sweep with
  }
  return entries.flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after "(comm)": state ppid pgrp session ...
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return [{ pid: Number(entry), sid: Number(fields[3]) }];
    } catch {
      return [];
    }
  });
}

function environHas(pid: number, entry: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(entry);
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}
