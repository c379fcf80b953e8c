import { isAbsolute, resolve } from "node:path";
import { procfileEntryKind, type BuildArtifact } from "@hop3/core";
import { uwsgiError } from "./errors.js";
import { instanceKey } from "./layout.js";
import { checkWsgiModule } from "./wsgi.js";

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
  /** For a `wsgi` worker: the Python module and callable uWSGI loads in-process (`command` holds it too). */
  readonly wsgiModule?: string;
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
 * Decides which processes run. `web` is the HTTP worker (one PORT per instance), and so is `wsgi`
 * (a Python module uWSGI loads itself, see wsgiCommand); `static` is a
 * directory for the router, not a process; hooks and cron entries are not daemons and are left
 * out; any other name is a daemon. A worker not in `scale` runs one instance. With `strictScale`
 * (the scale operation) naming an unknown worker is an error; a deploy only notes it, since a new
 * release may have dropped a worker the user once scaled.
 */
export function planInstances(artifact: BuildArtifact, scale: Readonly<Record<string, number>>, strictScale: boolean): InstancePlan {
  const notes: string[] = [];
  const processes: Array<[string, string]> = [];
  let staticDir: string | undefined;
  for (const [worker, command] of Object.entries(artifact.runtime.workers)) {
    const kind = procfileEntryKind(worker);
    if (kind === "static") staticDir = isAbsolute(command) ? command : resolve(artifact.runtime.workingDir, command);
    else if (kind === "hook" || kind === "cron") notes.push(`Worker "${worker}" is a ${kind}, not a daemon: this deployer does not run it.`);
    else if (worker === "wsgi") processes.push([worker, checkWsgiModule(worker, command)]);
    else if (kind === "http" && worker !== "web") {
      throw uwsgiError("UWSGI_WORKER_TYPE_UNSUPPORTED", `Worker "${worker}" asks uWSGI to load a non-Python app in-process, which this deployer does not do.`, {
        details: { worker },
      });
    } else processes.push([worker, command]);
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
      const wsgi = worker === "wsgi";
      instances.push({ worker, index, key: instanceKey(worker, index), command, web: wsgi || worker === "web", ...(wsgi && { wsgiModule: command }) });
    }
  }
  return { instances, scale: counts, ...(staticDir !== undefined && { staticDir }), notes };
}
