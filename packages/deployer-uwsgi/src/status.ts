import { existsSync } from "node:fs";
import { isAlive, type DeploymentStatus, type WorkerStatus } from "@hop3/core";
import { cronStatus } from "./cron.js";
import { emperorPid } from "./emperor.js";
import { instancePaths } from "./layout.js";
import { planInstances } from "./plan.js";
import { readInstancePid } from "./pids.js";
import { connectHost, tcpAccepts } from "./process.js";
import { userOf, type AppOperation } from "./release.js";
import { readStoredApp } from "./state.js";

/**
 * The state of each instance: its process (pid file, alive and not a zombie) and, for a web
 * instance, a TCP connection to its port. An instance whose vassal exists but whose process is
 * gone is `failed` (uWSGI is about to respawn it, or it crash-loops); so is one whose pid file names
 * a process that is not the app's.
 */
export async function appStatus(op: AppOperation): Promise<DeploymentStatus> {
  const { app, context } = op;
  const stored = readStoredApp(context.home, app);
  if (stored === undefined) return { app, state: "absent", workers: [] };
  const plan = planInstances(stored.artifact, stored.state.scale, false);
  const emperorRuns = emperorPid(op.emperor) !== undefined;
  const host = connectHost(context.bindAddress);
  const user = userOf(op);
  const workers = await Promise.all(
    plan.instances.map(async (instance): Promise<WorkerStatus> => {
      const files = instancePaths(op.emperor, op.layout, instance.worker, instance.index, stored.state.slot);
      const port = stored.state.ports[instance.key];
      const base = { worker: instance.worker, instance: instance.index, ...(instance.web && port !== undefined && { port }) };
      if (stored.state.stopped || !existsSync(files.vassal)) return { ...base, state: "stopped" };
      if (!emperorRuns) return { ...base, state: "stopped", detail: "the uWSGI emperor is not running" };
      const pid = readInstancePid(files, user)?.pid;
      if (instance.cron) return cronStatus(base, instance.cron.text, pid);
      if (pid === undefined || !isAlive(pid)) return { ...base, state: "failed", detail: `no process; see ${files.log}` };
      if (instance.web && port !== undefined && !(await tcpAccepts(host, port, 500))) {
        return { ...base, pid, state: "starting", detail: `not accepting connections on ${host}:${port} yet` };
      }
      return { ...base, pid, state: "running" };
    }),
  );
  return {
    app,
    state: overall(workers, stored.state.routed && !stored.state.stopped),
    workers,
    ...(stored.state.routed && !stored.state.stopped && { url: context.router.urlFor(app) }),
  };
}

/** A static-only app has no process: it runs while it is routed. */
function overall(workers: readonly WorkerStatus[], routed: boolean): DeploymentStatus["state"] {
  if (workers.length === 0) return routed ? "running" : "stopped";
  const running = workers.filter((worker) => worker.state === "running").length;
  if (running === workers.length) return "running";
  return running === 0 && workers.every((worker) => worker.state === "stopped") ? "stopped" : "partial";
}
