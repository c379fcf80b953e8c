import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { isAlive, processStat } from "./processes.js";
import { sleep, type WaitOptions } from "./waiting.js";

/*
 * Lock files between Hop3 processes of one host. proper-lockfile (mkdir, then an mtime refreshed on
 * a timer; a lock not refreshed within `stale` ms is taken over) suits locks shared between
 * machines, where a pid means nothing; but a busy event loop or a suspended machine loses a live
 * lock, and every holder needs a timer. Hop3's locks are on one host: the owner's pid and start time
 * tell for certain whether it still runs, so a live owner's lock is never taken and nothing is
 * refreshed. A dead owner's lock is taken over through a "breaker" file (see removeStale).
 */

/** Who holds a lock file. */
export interface LockHolder {
  readonly pid: number;
  /** The holder's start time (/proc/<pid>/stat field 22), so a reused pid is not taken for it; absent in locks of older Hop3 versions. */
  readonly startTime?: number;
  /** What it is doing (`deploy`, `starting the uWSGI emperor`), for busy messages. */
  readonly purpose: string;
  /** When it took the lock (ISO 8601). */
  readonly since: string;
}

/**
 * A lock taken (`release` frees it; calling it again does nothing), or held by a live process
 * (`holder`; undefined while another process takes over from a dead one, or when it cannot be read).
 */
export type LockAttempt = { readonly release: () => void } | { readonly holder: LockHolder | undefined };

/** A lock file as read: its holder (undefined when it holds no readable one) and the generation that names it. */
interface LockFileState {
  readonly holder: LockHolder | undefined;
  readonly generation: string;
}

/** How deep a takeover goes to clear breakers whose own creators died (each level needs one more crash in a few microseconds). */
const MAX_BREAKER_DEPTH = 3;
const ATTEMPTS = 2 + 2 * MAX_BREAKER_DEPTH;

/**
 * Takes a lock file once, without waiting. The file is created exclusively, complete: the content
 * is written to a file of this process's own, then hard-linked to the lock's name (link(2) fails
 * with EEXIST as O_EXCL does, and a reader never sees a half-written lock). A lock whose holder is
 * gone (or whose pid now names another process) is taken over, by exactly one of the processes that
 * find it. Raises what the file system raises (a full disk) with nothing left behind.
 */
export function tryLockFile(path: string, purpose: string): LockAttempt {
  const me = self(purpose);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (createExclusive(path, me)) return { release: releaser(path, me) };
    const found = readLockFile(path);
    if (found === undefined) continue; // released meanwhile
    if (found.holder !== undefined && holderAlive(found.holder)) return { holder: found.holder };
    if (!removeStale(path, found.generation, 0)) return { holder: undefined };
  }
  return { holder: undefined };
}

/** How `withLockFile` takes its lock. */
export interface LockFileOptions extends WaitOptions {
  /** What the holder is doing, shown to whoever finds the lock taken. */
  readonly purpose: string;
  /** How long to wait for a live holder (default 30 s). */
  readonly timeoutMs?: number;
  /** The caller's coded error when the lock is still held at the deadline. */
  readonly busy: (holder: LockHolder | undefined) => Error;
}

// One queue per lock file: the operations of one process on one lock run in turn, without polling each other.
const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `action` holding a lock file (see tryLockFile), so two Hop3 processes never do the same
 * thing at once (start an emperor, change nginx's configuration). Waits while a live process holds
 * it, up to `timeoutMs`, then raises `busy(holder)`; a cancelled wait raises `cancelled()`
 * (COMMAND_CANCELLED by default).
 */
export function withLockFile<T>(path: string, action: () => Promise<T>, options: LockFileOptions): Promise<T> {
  const previous = queues.get(path) ?? Promise.resolve();
  const run = previous.then(async () => {
    const release = await acquire(path, options);
    try {
      return await action();
    } finally {
      release();
    }
  });
  const settled = run.catch(() => undefined);
  queues.set(path, settled);
  void settled.then(() => {
    if (queues.get(path) === settled) queues.delete(path);
  });
  return run;
}

async function acquire(path: string, options: LockFileOptions): Promise<() => void> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const attempt = tryLockFile(path, options.purpose);
    if ("release" in attempt) return attempt.release;
    if (Date.now() >= deadline) throw options.busy(attempt.holder);
    await sleep(20, options);
  }
}

/**
 * Removes the stale file at `path` (of `generation`, whose holder is dead); true when the caller may
 * try to create it again. Only the creator of `<path>.break.<generation>` (created exclusively) may
 * remove it, and only after reading it again under that breaker and finding the same dead
 * generation: two processes finding one stale lock cannot both remove it, and neither removes the
 * lock the other then takes. A breaker whose creator died in between is stale in turn, cleared the
 * same way one level down (at most MAX_BREAKER_DEPTH levels).
 */
function removeStale(path: string, generation: string, depth: number): boolean {
  const breaker = `${path}.break.${generation}`;
  const me = self("taking over a stale lock");
  if (!createExclusive(breaker, me)) {
    const found = readLockFile(breaker);
    if (found === undefined) return true; // that takeover is done: try again
    if (found.holder !== undefined && holderAlive(found.holder)) return false; // a live process is taking it over
    return depth < MAX_BREAKER_DEPTH && removeStale(breaker, found.generation, depth + 1);
  }
  try {
    if (readLockFile(path)?.generation === generation) rmSync(path, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
  return true;
}

/** This process as a lock's holder. Its start time is read once: it never changes. */
function self(purpose: string): LockHolder {
  ownStartTime ??= processStat(process.pid)?.startTime ?? null;
  return { pid: process.pid, ...(ownStartTime !== null && { startTime: ownStartTime }), purpose, since: new Date().toISOString() };
}
let ownStartTime: number | null | undefined;

/** A holder without a start time (a lock of an older Hop3) is alive while its pid is. */
const holderAlive = (holder: LockHolder): boolean => isAlive(holder.pid, holder.startTime);

/** The generation naming a lock file: its holder's pid and start time, or the file itself when it has no readable holder. */
const generationOf = (holder: LockHolder | undefined, inode: number): string =>
  holder === undefined ? `file-${inode}` : `${holder.pid}-${holder.startTime ?? "unknown"}`;

function createExclusive(path: string, holder: LockHolder): boolean {
  const draft = `${path}.new.${holder.pid}-${holder.startTime ?? "unknown"}`;
  try {
    writeFileSync(draft, `${JSON.stringify(holder)}\n`, { mode: 0o600 });
    linkSync(draft, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(draft, { force: true });
  }
}

function releaser(path: string, me: LockHolder): () => void {
  let released = false;
  const generation = generationOf(me, 0);
  return () => {
    if (released) return;
    released = true;
    // Only our own lock: one removed by hand and taken by another process is theirs.
    if (readLockFile(path)?.generation === generation) rmSync(path, { force: true });
  };
}

/** Reads a lock file; undefined when there is none. Accepts the formats of older Hop3 versions: `{pid, command, since}`, or a bare pid. */
function readLockFile(path: string): LockFileState | undefined {
  try {
    const holder = parseHolder(readFileSync(path, "utf8"));
    // A file without a readable holder is named by its inode (a file replaced meanwhile gets another name: no harm, it is read again).
    return { holder, generation: generationOf(holder, holder === undefined ? statSync(path).ino : 0) };
  } catch {
    return undefined; // none, or removed meanwhile
  }
}

function parseHolder(text: string): LockHolder | undefined {
  if (/^\d+\s*$/.test(text)) return validHolder({ pid: Number(text.trim()) });
  try {
    return validHolder(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function validHolder(value: { pid?: unknown; startTime?: unknown; purpose?: unknown; command?: unknown; since?: unknown }): LockHolder | undefined {
  const { pid, startTime } = value;
  if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0) return undefined;
  const purpose = typeof value.purpose === "string" ? value.purpose : typeof value.command === "string" ? value.command : "unknown";
  return { pid, ...(typeof startTime === "number" && { startTime }), purpose, since: typeof value.since === "string" ? value.since : "unknown" };
}
