import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { OperationContext, ServiceStatus, WorkerLog } from "@hop3/core";
import { emperorStatus, ensureEmperor, pokeEmperor, stopEmperor, type EmperorSettings } from "./emperor.js";
import { appLayout, emperorLayout } from "./layout.js";
import { WORKER_LOG_FILE } from "./maintenance.js";

/** The name `hop3 server` shows for the emperor. */
export const SERVICE_NAME = "uWSGI emperor";

/**
 * The log files of an app's instances, current or scaled away, sorted by worker and instance
 * (rotated files, `<worker>.<n>.log.<n>`, are left out); none for an app never deployed.
 */
export async function logFiles(home: string, app: string): Promise<WorkerLog[]> {
  const layout = appLayout(home, app);
  let files: string[] = [];
  try {
    files = readdirSync(layout.logsDir);
  } catch {
    // No log yet.
  }
  const logs = files.flatMap((file) => {
    const match = WORKER_LOG_FILE.exec(file);
    return match ? [{ worker: match[1]!, instance: Number(match[2]), path: join(layout.logsDir, file) }] : [];
  });
  return logs.sort((a, b) => a.worker.localeCompare(b.worker) || a.instance - b.instance);
}

/** The emperor as a service: running or not, its pid, how many vassals it runs. */
export async function serviceStatus(context: OperationContext): Promise<ServiceStatus> {
  const layout = emperorLayout(context.home);
  const { running, pid } = emperorStatus(context.home);
  if (!running) return { name: SERVICE_NAME, running: false, detail: `not running (watches ${layout.vassals} when it does)` };
  const stats = await pokeEmperor(layout);
  const vassals = stats === undefined ? "" : `, ${stats.vassals.length} vassal(s)`;
  return { name: SERVICE_NAME, running: true, pid, detail: `watching ${layout.vassals}${vassals}` };
}

/** Starts the emperor unless it runs; it starts every vassal in its folder (and Hop3's schedule, given `hop3Command`). */
export async function startService(context: OperationContext, settings: EmperorSettings): Promise<ServiceStatus> {
  await ensureEmperor(context.home, settings, context);
  return serviceStatus(context);
}

/**
 * Stops the emperor and, with it, every app's workers and Hop3's schedule. Their vassals stay, for
 * the next start: the schedule too, so an emperor started again without `hop3Command` (by a
 * deploy from a library) still keeps the logs within bounds.
 */
export async function stopService(context: OperationContext): Promise<ServiceStatus> {
  await stopEmperor(context.home);
  return serviceStatus(context);
}
