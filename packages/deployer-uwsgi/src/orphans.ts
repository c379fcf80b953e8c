import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive, livePids, processStat, readPid, waitUntil, type AppUser } from "@hop3/core";
import type { AppLayout } from "./layout.js";
import { isRootsFile, signalInstance } from "./pids.js";

/** The variable every worker process carries, naming its instance: `<app>_<worker>.<n>`, like its vassal. */
export const INSTANCE_VARIABLE = "HOP3_INSTANCE";

/** A worker instance's session: the launcher's pid (uWSGI made it a session leader) and its name. */
export interface InstanceSession {
  readonly sid: number;
  readonly instance: string;
  /** Read from a file only root writes (see InstancePid): its processes may be signalled without checking their user. */
  readonly trusted?: boolean;
}

/**
 * Kills what is left of instances whose launcher is gone. When a vassal dies abruptly (its
 * emperor was killed, the OOM killer), uWSGI kills the launcher but not the launcher's children,
 * which keep running and holding the port. They still carry the launcher's session id and the
 * instance's HOP3_INSTANCE: both must match, so a pid reused by an unrelated program is never hit.
 * The session comes from a pid file the app may write: unless it is trusted, each process is
 * signalled only if it is the app's (`user`). SIGTERM, then SIGKILL after a grace period. Returns
 * the pids it signalled.
 */
export async function sweepOrphans(sessions: readonly InstanceSession[], user: AppUser | undefined, graceMs = 2_000): Promise<number[]> {
  const wanted = new Map(sessions.filter((session) => !isAlive(session.sid)).map((session) => [session.sid, session]));
  if (wanted.size === 0) return [];
  const orphans = livePids().flatMap((pid) => {
    const session = wanted.get(processStat(pid)?.session ?? 0);
    return session !== undefined && environHas(pid, `${INSTANCE_VARIABLE}=${session.instance}`) ? [{ pid, trusted: session.trusted ?? false }] : [];
  });
  const signalled = orphans.filter((orphan) => signalInstance(user, orphan, "SIGTERM", false));
  await waitUntil(() => !signalled.some((orphan) => isAlive(orphan.pid)), { timeoutMs: graceMs });
  for (const orphan of signalled) if (isAlive(orphan.pid)) signalInstance(user, orphan, "SIGKILL", false);
  return signalled.map((orphan) => orphan.pid);
}

/** The sessions recorded in a run directory (`<worker>.<n>.pid` files). */
export function recordedSessions(runDir: string, app: string): InstanceSession[] {
  let files: string[];
  try {
    files = readdirSync(runDir).filter((file) => file.endsWith(".pid"));
  } catch {
    return [];
  }
  return files.flatMap((file) => {
    const path = join(runDir, file);
    const trusted = isRootsFile(path);
    const sid = trusted === undefined ? undefined : readPid(path);
    return sid === undefined ? [] : [{ sid, instance: `${app}_${file.slice(0, -".pid".length)}`, trusted: trusted ?? false }];
  });
}

/** The sessions an app's instances recorded, where they are now and where they were before apps had users. */
export const appSessions = (layout: AppLayout): InstanceSession[] => [...recordedSessions(layout.runDir, layout.app), ...recordedSessions(layout.legacyRunDir, layout.app)];

function environHas(pid: number, entry: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(entry);
  } catch {
    return false;
  }
}
