import { withLockFile } from "@hop3/core";
import { nginxError } from "./errors.js";

/**
 * Runs `action` while holding the prefix's lock (core's lock file: one operation at a time in this
 * process, and across Hop3 processes). Two deploys changing nginx at once would each validate
 * without the other's site. A live holder is waited for up to 30 s, then NGINX_BUSY.
 */
export function withLock<T>(lockFile: string, action: () => Promise<T>): Promise<T> {
  return withLockFile(lockFile, action, {
    purpose: "changing the nginx configuration",
    busy: (holder) =>
      nginxError("NGINX_BUSY", `The nginx configuration is locked by ${holder ? `process ${holder.pid} (since ${holder.since})` : "another process"} (${lockFile}).`, {
        details: { lockFile, owner: holder?.pid },
      }),
  });
}
