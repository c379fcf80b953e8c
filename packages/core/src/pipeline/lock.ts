import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { coreError } from "../error-codes.js";
import { appStateDir } from "../home.js";
import { isValidAppName } from "../schemas/names.js";

/**
 * One command changes an app at a time, across processes: a lock file holding the owner's pid,
 * created exclusively. A lock whose process is gone (killed, crashed) is taken over. Only a deploy
 * (`create`) makes the app's directory; any other command on an unknown or invalid name is
 * APP_NOT_FOUND before anything is written (a name such as `../x` never becomes a path).
 */
export function lockApp(home: string, app: string, command: string, { create = false }: { create?: boolean } = {}): () => void {
  const dir = appStateDir(home, app);
  if (!isValidAppName(app) || (!create && !existsSync(dir))) {
    throw coreError("APP_NOT_FOUND", `There is no app named ${JSON.stringify(app)} in ${home}.`, { details: { app, home } });
  }
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "lock");
  // A lock that cannot be written (a full disk) is no lock: nothing of it is left behind.
  const undo = (error: unknown): never => {
    if (created) rmSync(dir, { recursive: true, force: true });
    throw error;
  };
  let taken: LockAttempt;
  try {
    taken = takeLockFile(path, command);
  } catch (error) {
    return undo(error);
  }
  if ("release" in taken) return taken.release;
  if (taken.owner !== undefined) {
    const { owner } = taken;
    throw coreError("APP_BUSY", `${app} is being changed by \`hop3 ${owner.command}\` (pid ${owner.pid}, since ${owner.since}).`, {
      details: { app, pid: owner.pid, command: owner.command },
    });
  }
  throw coreError("APP_BUSY", `The lock of ${app} (${path}) could not be taken.`, { details: { app } });
}

/** Who holds a lock file. */
export interface LockOwner {
  readonly pid: number;
  readonly command: string;
  readonly since: string;
}

/** A lock taken (`release` frees it), or held by a live process (`owner`; undefined when it could not be read twice). */
export type LockAttempt = { readonly release: () => void } | { readonly owner: LockOwner | undefined };

/**
 * Takes a lock file holding this process's pid, created exclusively; a lock whose process is gone
 * is taken over. Raises what the file system raises (a full disk) with nothing left behind.
 */
export function takeLockFile(path: string, command: string): LockAttempt {
  let owner: LockOwner | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      owner = readOwner(path);
      if (owner && isAlive(owner.pid)) return { owner };
      rmSync(path, { force: true }); // its owner is gone
      continue;
    }
    try {
      writeSync(fd, JSON.stringify({ pid: process.pid, command, since: new Date().toISOString() }));
    } catch (error) {
      rmSync(path, { force: true });
      throw error;
    } finally {
      closeSync(fd);
    }
    return { release: () => rmSync(path, { force: true }) };
  }
  return { owner: undefined };
}

function readOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
