import { readdirSync } from "node:fs";
import { join } from "node:path";
import { sleep, type OperationContext, type ServiceStatus, type WorkerLog } from "@hop3/core";
import { emperorStatus, ensureEmperor, pokeEmperor, stopEmperor, type EmperorSettings } from "./emperor.js";
import { appLayout, emperorLayout } from "./layout.js";
import { WORKER_LOG_FILE } from "./maintenance.js";
import { cancellable, tcpAccepts } from "./process.js";
import { readStoredApp } from "./state.js";

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

/**
 * Starts the emperor unless it runs; it starts every vassal in its folder (and Hop3's schedule,
 * given `hop3Command`). Returns once every started app's web instances accept connections, or
 * the start timeout has passed: those still not up are named in the detail and warned about, as
 * the server itself runs.
 */
export async function startService(context: OperationContext, settings: EmperorSettings & { readonly startTimeoutSeconds: number }): Promise<ServiceStatus> {
  await ensureEmperor(context.home, settings, context);
  const late = await waitForWebInstances(context, settings.startTimeoutSeconds * 1000);
  for (const app of late) context.logger.warn(`${app} does not accept connections yet after ${settings.startTimeoutSeconds} s: see \`hop3 logs ${app}\`.`);
  const status = await serviceStatus(context);
  return late.length === 0 ? status : { ...status, detail: `${status.detail ?? ""}, not up yet: ${late.join(", ")}` };
}

/** Core binds every worker on loopback (see DeployContext.bindAddress). */
const WORKER_HOST = "127.0.0.1";

/** The apps, not stopped, whose web ports do not all accept connections within `timeoutMs`. */
async function waitForWebInstances(context: OperationContext, timeoutMs: number): Promise<string[]> {
  let apps: string[] = [];
  try {
    apps = readdirSync(join(context.home, "apps"));
  } catch {
    return [];
  }
  const deadline = Date.now() + timeoutMs;
  const late: string[] = [];
  await Promise.all(
    apps.map(async (app) => {
      let ports: number[];
      try {
        const stored = readStoredApp(context.home, app);
        if (stored === undefined || stored.state.stopped) return;
        ports = Object.values(stored.state.ports);
      } catch {
        return; // a state this deployer cannot read is not one it started
      }
      for (const port of ports) {
        while (!(await tcpAccepts(WORKER_HOST, port, 250))) {
          if (Date.now() >= deadline) {
            late.push(app);
            return;
          }
          await sleep(50, cancellable(context.signal));
        }
      }
    }),
  );
  return late.sort();
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
