import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { nginxError } from "./errors.js";
import { isAlive, sleep } from "./procfs.js";

// One queue per lock file: operations of one process on one prefix run one after the other.
const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `action` while holding the prefix's lock: in this process (a queue) and across Hop3
 * processes (a lock file holding the owner's pid, taken over when that process is gone).
 * Two deploys changing nginx at once would each validate without the other's site.
 */
export function withLock<T>(lockFile: string, action: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const previous = queues.get(lockFile) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(async () => {
    await acquire(lockFile, timeoutMs);
    try {
      return await action();
    } finally {
      rmSync(lockFile, { force: true });
    }
  });
  const settled = run.catch(() => undefined);
  queues.set(lockFile, settled);
  void settled.then(() => {
    if (queues.get(lockFile) === settled) queues.delete(lockFile);
  });
  return run;
}

async function acquire(lockFile: string, timeoutMs: number): Promise<void> {
  mkdirSync(dirname(lockFile), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lockFile, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = readOwner(lockFile);
    // Our own pid can only be a leftover: this process's queue lets one operation in at a time.
    // An empty file is another process between creating and writing it, unless it is old.
    const stale = owner === undefined ? ageMs(lockFile) > 2_000 : owner === process.pid || !isAlive(owner);
    if (stale) {
      rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      const by = owner === undefined ? "another process" : `process ${owner}`;
      throw nginxError("NGINX_BUSY", `The nginx configuration is locked by ${by} (${lockFile}).`, { details: { lockFile, owner } });
    }
    await sleep(20);
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function readOwner(lockFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockFile, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
