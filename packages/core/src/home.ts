import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** HOP3_HOME when Hop3 runs as root and none is set. */
export const SYSTEM_HOME = "/var/lib/hop3";

/**
 * Hop3's state directory: HOP3_HOME; else, as root, /var/lib/hop3 (every app user must be able to
 * pass through it, which no directory under /root allows); else `$XDG_DATA_HOME/hop3`, else
 * `~/.local/share/hop3`.
 */
export function resolveHop3Home(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.HOP3_HOME) return resolve(env.HOP3_HOME);
  if (process.getuid?.() === 0) return SYSTEM_HOME;
  const data = env.XDG_DATA_HOME || join(env.HOME || homedir(), ".local", "share");
  return resolve(data, "hop3");
}

/** One app's own directory under the state directory. The name is already validated. */
export const appStateDir = (home: string, appName: string): string => join(home, "apps", appName);

/** A release id: sortable time, then a random suffix so two builds in one second differ. */
export function newReleaseId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `${stamp}-${Math.random().toString(36).slice(2, 6).padEnd(4, "0")}`;
}
