import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { appStateDir, isValidAppName, tryLockFile } from "@hop3/core";
import { cliError } from "../errors.js";

/**
 * One command changes an app at a time, across processes: core's lock file, holding the owner's pid
 * and start time. A lock whose process is gone (killed, crashed) is taken over; a live one's never.
 * Only a deploy (`create`) makes the app's directory; any other command on an unknown or invalid
 * name is APP_NOT_FOUND before anything is written (a name such as `../x` never becomes a path).
 */
export function lockApp(home: string, app: string, command: string, { create = false }: { create?: boolean } = {}): () => void {
  const dir = appStateDir(home, app);
  if (!isValidAppName(app) || (!create && !existsSync(dir))) {
    throw cliError("APP_NOT_FOUND", `There is no app named ${JSON.stringify(app)} in ${home}.`, { details: { app, home } });
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
    throw cliError("APP_BUSY", `${app} is being changed by \`hop3 ${owner.command}\` (pid ${owner.pid}, since ${owner.since}).`, {
      details: { app, pid: owner.pid, command: owner.command },
    });
  }
  throw cliError("APP_BUSY", `The lock of ${app} (${path}) could not be taken.`, { details: { app } });
}

/** Who holds a lock file. */
export interface LockOwner {
  readonly pid: number;
  readonly command: string;
  readonly since: string;
}

/** A lock taken (`release` frees it), or held by a live process (`owner`; undefined while a takeover from a dead holder is under way). */
export type LockAttempt = { readonly release: () => void } | { readonly owner: LockOwner | undefined };

/**
 * Takes a lock file for `command` without waiting (core's tryLockFile: the holder's pid and start
 * time; a dead holder's lock is taken over by exactly one of the commands that find it, a live
 * one's never). Raises what the file system raises (a full disk) with nothing left behind.
 */
export function takeLockFile(path: string, command: string): LockAttempt {
  const attempt = tryLockFile(path, command);
  if ("release" in attempt) return attempt;
  const { holder } = attempt;
  return { owner: holder && { pid: holder.pid, command: holder.purpose, since: holder.since } };
}
