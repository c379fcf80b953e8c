import { childrenOf, formatSize, isAlive, openFiles, rotateByRename, waitUntil, type RotationPolicy } from "@hop3/core";
import type { NginxLayout } from "./layout.js";
import { processTitle, sendSignal } from "./procfs.js";

/** nginx's own logs, in the order they are rotated. */
const logsOf = (layout: NginxLayout): string[] => [layout.accessLog, layout.errorLog];

/**
 * Renames each log past `policy.maxBytes` to `<log>.1` (older ones shift, at most `policy.keep`
 * are kept). nginx keeps writing to the renamed file until it reopens its logs: see reopenLogs.
 * Returns the logs rotated.
 */
export function rotateLogs(layout: NginxLayout, policy: RotationPolicy): string[] {
  return logsOf(layout).filter((log) => rotateByRename(log, policy));
}

/** One line per rotated log, for `maintain`. */
export function rotatedLine(log: string, policy: RotationPolicy): string {
  const size = formatSize(policy.maxBytes);
  const over = /\d$/.test(size) ? `${size} bytes` : size;
  return policy.keep === 0 ? `Removed ${log}: it was over ${over}.` : `Rotated ${log} to ${log}.1: it was over ${over}.`;
}

/**
 * Makes nginx write to new log files (SIGUSR1: the master reopens them, gives them to the workers'
 * user, and tells its workers to reopen them too), and waits until no nginx process of this master
 * still holds a rotated one, so the next request's line lands in the new file. Returns false when
 * that did not happen within `timeoutMs` (a worker that cannot reach the logs/ directory keeps its
 * old file).
 */
export async function reopenLogs(master: number, rotated: readonly string[], timeoutMs = 5_000): Promise<boolean> {
  if (!sendSignal(master, "SIGUSR1")) return true; // gone: the next nginx opens new files
  const stale = new Set(rotated.flatMap((log) => [`${log}.1`, `${log} (deleted)`]));
  const reopened = () => !isAlive(master) || ![master, ...servingProcesses(master)].some((pid) => openFiles(pid).some((file) => stale.has(file)));
  return (await waitUntil(reopened, { timeoutMs, pollMs: 5 })) === true;
}

/** The master's workers, less the old ones finishing their requests after a reload (they exit soon). */
const servingProcesses = (master: number): number[] => childrenOf(master).filter((pid) => !processTitle(pid).includes("shutting down"));
