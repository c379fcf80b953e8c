import { isAbsolute, resolve } from "node:path";
import { Hop3Error, procfileEntryKind, type BuildArtifact } from "@hop3/core";
import { cronWorker, type UwsgiCronSchedule } from "./cron.js";
import { uwsgiError } from "./errors.js";
import { instanceKey } from "./layout.js";
import { checkNativeTarget, isNativeWorker, missingPlugins, type NativeWorker } from "./wsgi.js";

/** The most instances of one worker; far above what one machine serves, low enough to catch a typo. */
export const MAX_INSTANCES = 64;

/** One process to run: instance `index` (from 1) of a worker. */
export interface PlannedInstance {
  readonly worker: string;
  readonly index: number;
  /** `<worker>.<index>`. */
  readonly key: string;
  readonly command: string;
  /** A web instance gets its own PORT and is routed to. */
  readonly web: boolean;
  /** For a native worker (wsgi, rwsgi, jwsgi): what uWSGI loads in-process (`command` holds it too). */
  readonly native?: { readonly worker: NativeWorker; readonly target: string };
  /** For a cron worker: no daemon, the command (`command`) runs on this schedule (see cron.ts). */
  readonly cron?: { readonly schedule: UwsgiCronSchedule; readonly text: string };
}

/** What an artifact and a scale turn into. */
export interface InstancePlan {
  readonly instances: readonly PlannedInstance[];
  /** Worker name to instance count, for every process worker. */
  readonly scale: Readonly<Record<string, number>>;
  /** The `static` worker's directory (absolute), served by the router. */
  readonly staticDir?: string;
  /** Things to tell the user (workers this deployer leaves to others, scale entries ignored). */
  readonly notes: readonly string[];
}

/**
 * Decides which processes run. `web` is the HTTP worker (one PORT per instance), and so are the
 * native workers `wsgi`, `rwsgi` and `jwsgi` (an app uWSGI loads itself, see nativeCommand); `static` is a
 * directory for the router, not a process; hooks are left out; a cron worker is one instance
 * whose command runs on its schedule (scaled to 0 or 1 only: two schedulers would run each job
 * twice); any other name is a daemon. A worker not in `scale` runs one instance. With `strictScale`
 * (the scale operation) naming an unknown worker is an error; a deploy only notes it, since a new
 * release may have dropped a worker the user once scaled.
 */
export function planInstances(artifact: BuildArtifact, scale: Readonly<Record<string, number>>, strictScale: boolean): InstancePlan {
  const notes: string[] = [];
  const processes: Array<[string, string]> = [];
  const crons = new Map<string, ReturnType<typeof cronWorker>>();
  let staticDir: string | undefined;
  for (const [worker, command] of Object.entries(artifact.runtime.workers)) {
    const kind = procfileEntryKind(worker);
    if (kind === "static") staticDir = isAbsolute(command) ? command : resolve(artifact.runtime.workingDir, command);
    else if (kind === "hook") notes.push(`Worker "${worker}" is a hook, not a daemon: this deployer does not run it.`);
    else if (kind === "cron") {
      if (artifact.runtime.isolation === "container") throw cronInContainer(worker);
      crons.set(worker, cronWorker(worker, command));
      processes.push([worker, crons.get(worker)!.command]);
    }
    else if (isNativeWorker(worker)) processes.push([worker, checkNativeTarget(worker, command)]);
    else if (kind === "http" && worker !== "web") throw unsupportedWorker(worker);
    else processes.push([worker, command]);
  }

  const names = new Set(processes.map(([worker]) => worker));
  const counts: Record<string, number> = {};
  for (const [worker, count] of Object.entries(scale)) {
    if (!names.has(worker)) {
      const why = worker === "static" ? "static is a directory the router serves" : `the app's workers are ${[...names].join(", ") || "none"}`;
      if (strictScale) throw uwsgiError("UWSGI_SCALE_INVALID", `Cannot scale "${worker}": ${why}.`, { details: { worker } });
      notes.push(`Scale of "${worker}" ignored: ${why}.`);
      continue;
    }
    if (crons.has(worker) && count !== 0 && count !== 1) {
      throw uwsgiError("UWSGI_SCALE_INVALID", `Cannot scale "${worker}" to ${count}: a cron worker runs 0 or 1 times (more would run each job several times).`, {
        details: { worker, count },
      });
    }
    if (!Number.isInteger(count) || count < 0 || count > MAX_INSTANCES) {
      throw uwsgiError("UWSGI_SCALE_INVALID", `Cannot scale "${worker}" to ${count}: use a whole number from 0 to ${MAX_INSTANCES}.`, {
        details: { worker, count },
      });
    }
    counts[worker] = count;
  }

  const instances: PlannedInstance[] = [];
  for (const [worker, command] of processes) {
    counts[worker] ??= 1;
    for (let index = 1; index <= counts[worker]; index++) {
      const native = isNativeWorker(worker);
      const cron = crons.get(worker);
      instances.push({
        worker,
        index,
        key: instanceKey(worker, index),
        command,
        web: native || worker === "web",
        ...(native && { native: { worker, target: command } }),
        ...(cron && { cron: { schedule: cron.schedule, text: cron.text } }),
      });
    }
  }
  return { instances, scale: counts, ...(staticDir !== undefined && { staticDir }), notes };
}

/** UWSGI_CRON_CONTAINER_UNSUPPORTED: a cron worker's command would run on the host, beside the app's container, as root. */
function cronInContainer(worker: string): Hop3Error {
  return uwsgiError("UWSGI_CRON_CONTAINER_UNSUPPORTED", `Worker "${worker}" is a cron worker, and this app runs in a container: its command would run on the host, not in the container.`, {
    details: { worker },
  });
}

/** UWSGI_WORKER_TYPE_UNSUPPORTED: an HTTP worker type that is neither `web` nor one uWSGI loads natively. */
export function unsupportedWorker(worker: string): Hop3Error {
  return uwsgiError("UWSGI_WORKER_TYPE_UNSUPPORTED", `Worker "${worker}" is an HTTP worker type this deployer does not run (it runs web, wsgi, rwsgi and jwsgi).`, {
    details: { worker },
  });
}

/**
 * What a deploy would refuse in these workers, said before the build (Deployer.check): an HTTP
 * worker type it does not run, a native worker's bad value, a uWSGI plugin this host lacks.
 */
export function refusedWorkers(workers: Readonly<Record<string, string>>, pluginDir?: string): Hop3Error[] {
  const problems: Hop3Error[] = [];
  for (const [worker, command] of Object.entries(workers)) {
    if (isNativeWorker(worker)) {
      try {
        checkNativeTarget(worker, command);
      } catch (error) {
        if (!Hop3Error.is(error)) throw error;
        problems.push(error);
      }
      problems.push(...missingPlugins(worker, pluginDir));
    } else if (procfileEntryKind(worker) === "http" && worker !== "web") problems.push(unsupportedWorker(worker));
  }
  return problems;
}
