import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { coreError } from "../error-codes.js";

/** How `withLockFile` waits. */
export interface LockFileOptions {
  /** Stops the wait (COMMAND_CANCELLED). */
  readonly signal?: AbortSignal;
  /** After this long a lock still held is taken over, as a stuck one (default 15 s). */
  readonly timeoutMs?: number;
}

/**
 * Runs `action` holding a lock file created exclusively with the owner's pid, so two Hop3
 * processes never start the same service twice (an emperor, a nix-daemon). A lock whose owner is
 * gone, or held past `timeoutMs`, is taken over.
 */
export async function withLockFile<T>(path: string, action: () => Promise<T>, options: LockFileOptions = {}): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    try {
      const fd = openSync(path, "wx", 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (options.signal?.aborted) throw coreError("COMMAND_CANCELLED", `Waiting for the lock ${path} was cancelled.`, { details: { path } });
      if (isStale(path) || Date.now() > deadline) rmSync(path, { force: true });
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  try {
    return await action();
  } finally {
    rmSync(path, { force: true });
  }
}

function isStale(path: string): boolean {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8"), 10);
    if (Number.isInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 0);
        return false;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code !== "EPERM";
      }
    }
    // Created but its pid not written yet, unless it has been like that for a while.
    return Date.now() - statSync(path).mtimeMs > 2_000;
  } catch {
    return false;
  }
}
