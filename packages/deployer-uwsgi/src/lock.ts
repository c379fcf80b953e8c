import { closeSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { isAlive, readPid, sleep } from "./process.js";

/**
 * Runs `action` holding a lock file (created exclusively, holding the owner's pid), so two Hop3
 * processes never start two emperors on one folder. A lock whose owner is gone is taken over.
 */
export async function withLockFile<T>(path: string, action: () => Promise<T>, signal?: AbortSignal, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, "wx", 0o644);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (isStale(path) || Date.now() > deadline) rmSync(path, { force: true });
      else await sleep(20, signal);
    }
  }
  try {
    return await action();
  } finally {
    rmSync(path, { force: true });
  }
}

function isStale(path: string): boolean {
  const owner = readPid(path);
  if (owner !== undefined) return !isAlive(owner);
  // Created but its pid not written yet, unless it has been like that for a while.
  try {
    return Date.now() - statSync(path).mtimeMs > 2_000;
  } catch {
    return false;
  }
}
