import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { coreError } from "../error-codes.js";
import { appStateDir } from "../home.js";
import { isValidAppName } from "../schemas/names.js";
import { tryLockFile, type LockAttempt } from "../host/lock-file.js";

/**
 * One command changes an app at a time, across processes: core's lock file, holding the owner's pid
 * and start time. A lock whose process is gone (killed, crashed) is taken over; a live one's never.
 * Only a deploy (`create`) makes the app's directory; any other command on an unknown or invalid
 * name is APP_NOT_FOUND before anything is written (a name such as `../x` never becomes a path).
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
    taken = tryLockFile(path, command);
  } catch (error) {
    return undo(error);
  }
  if ("release" in taken) return taken.release;
  if (taken.holder !== undefined) {
    const { holder } = taken;
    throw coreError("APP_BUSY", `${app} is being changed by \`hop3 ${holder.purpose}\` (pid ${holder.pid}, since ${holder.since}).`, {
      details: { app, pid: holder.pid, command: holder.purpose },
    });
  }
  throw coreError("APP_BUSY", `The lock of ${app} (${path}) could not be taken.`, { details: { app } });
}
