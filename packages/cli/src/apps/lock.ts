import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { appStateDir } from "@hop3/core";
import { cliError } from "../errors.js";

/**
 * One command changes an app at a time, across processes: a lock file holding the owner's pid,
 * created exclusively. A lock whose process is gone (killed, crashed) is taken over.
 */
export function lockApp(home: string, app: string, command: string): () => void {
  const dir = appStateDir(home, app);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, command, since: new Date().toISOString() }));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = readOwner(path);
      if (owner && isAlive(owner.pid)) {
        throw cliError("APP_BUSY", `${app} is being changed by \`hop3 ${owner.command}\` (pid ${owner.pid}, since ${owner.since}).`, {
          details: { app, pid: owner.pid, command: owner.command },
        });
      }
      rmSync(path, { force: true }); // its owner is gone
    }
  }
  throw cliError("APP_BUSY", `The lock of ${app} (${path}) could not be taken.`, { details: { app } });
}

function readOwner(path: string): { pid: number; command: string; since: string } | undefined {
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
