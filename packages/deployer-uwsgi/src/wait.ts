import { basename } from "node:path";
import { childrenOf, formatLastLines, isAlive, processStat, sleep, throwIfCancelled } from "@hop3/core";
import { pokeEmperor } from "./emperor.js";
import { uwsgiError } from "./errors.js";
import type { EmperorLayout } from "./layout.js";
import { tail } from "./log-tail.js";
import type { InstancePid } from "./pids.js";
import { cancellable, tcpAccepts } from "./process.js";

/** An instance a deploy, start or restart waits for. */
export interface StartingInstance {
  readonly app: string;
  readonly key: string;
  /** The instance's session leader now, from its pid file (see readInstancePid). */
  readonly currentPid: () => number | undefined;
  readonly log: string;
  /** Web instances must also accept TCP here. */
  readonly port?: number;
  /** The pid before the change: the instance is up once another one runs. */
  readonly previousPid?: number;
  /** The vassal file and the emperor log: when uWSGI cannot even start the vassal, only the emperor says why. */
  readonly vassal: string;
  readonly emperorLog: string;
}

/** A worker that died this many times while starting is broken, not slow. */
const CRASHES_BEFORE_GIVING_UP = 3;
const POLL_MS = 5;
/**
 * A worker with no port counts as running once its process has lived this long: one that exits at
 * once (a bad command, a missing file) would otherwise pass as started and crash-loop under uWSGI.
 */
export const WORKER_SETTLE_MS = 500;

/**
 * Waits until every instance runs a new process and each web instance accepts TCP on its port.
 * Raises UWSGI_WORKER_CRASHED when one keeps exiting, UWSGI_WORKER_START_TIMEOUT when one is not
 * up in time; both carry the instance's last log lines.
 */
export async function waitUntilRunning(instances: readonly StartingInstance[], host: string, timeoutMs: number, signal?: AbortSignal, emperor?: EmperorLayout): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const wake = emperor === undefined ? () => {} : emperorWaker(emperor);
  await Promise.all(instances.map((instance) => waitForInstance(instance, host, deadline, timeoutMs, wake, signal)));
}

/**
 * Pokes the emperor while an instance has no process yet, 20 ms after the last poke, then twice as
 * long each time up to a second: the emperor refuses to start a vassal whose name went a few
 * milliseconds ago (its throttle, see startEmperor) and would otherwise try again only at its next
 * scan, a second later; a vassal whose master keeps dying is not restarted faster than that.
 */
function emperorWaker(emperor: EmperorLayout): () => void {
  let last = Date.now();
  let interval = 20;
  let poking = false;
  return () => {
    if (poking || Date.now() - last < interval) return;
    poking = true;
    void pokeEmperor(emperor, 500).finally(() => {
      last = Date.now();
      interval = Math.min(interval * 2, 1_000);
      poking = false;
    });
  };
}

async function waitForInstance(instance: StartingInstance, host: string, deadline: number, timeoutMs: number, wake: () => void, signal?: AbortSignal): Promise<void> {
  const exited = new Set<number>();
  const firstSeen = new Map<number, number>();
  for (;;) {
    throwIfCancelled(cancellable(signal));
    const pid = instance.currentPid();
    if (pid === undefined || pid === instance.previousPid) wake();
    else {
      if (!firstSeen.has(pid)) firstSeen.set(pid, Date.now());
      if (!isAlive(pid)) exited.add(pid);
      else if (instance.port === undefined ? Date.now() - firstSeen.get(pid)! >= Math.min(WORKER_SETTLE_MS, timeoutMs / 2) : await tcpAccepts(host, instance.port, 250)) return;
    }
    if (exited.size >= CRASHES_BEFORE_GIVING_UP) throw startFailure("UWSGI_WORKER_CRASHED", instance, `exited ${exited.size} times while starting`);
    if (Date.now() >= deadline) {
      // uWSGI throttles respawns, so a worker that keeps exiting may not reach the count in time: it crashed, it is not slow.
      if (exited.size > 0) throw startFailure("UWSGI_WORKER_CRASHED", instance, `exited ${exited.size} time(s) while starting and was not up after ${timeoutMs / 1000} s`);
      const what = instance.port === undefined ? "was not running" : `was not accepting connections on ${host}:${instance.port}`;
      throw startFailure("UWSGI_WORKER_START_TIMEOUT", instance, `${what} after ${timeoutMs / 1000} s`);
    }
    await sleep(POLL_MS, cancellable(signal));
  }
}

function startFailure(code: "UWSGI_WORKER_CRASHED" | "UWSGI_WORKER_START_TIMEOUT", instance: StartingInstance, what: string) {
  let log = instance.log;
  let lastLines = tail(log);
  if (lastLines.length === 0) {
    const vassal = basename(instance.vassal);
    log = instance.emperorLog;
    // uWSGI names the vassal, then says what went wrong on the next line.
    const lines = tail(log, 400);
    lastLines = lines.filter((line, i) => line.includes(vassal) || lines[i - 1]?.includes(`from ${vassal}`)).slice(-20);
  }
  return uwsgiError(code, `Worker ${instance.key} of ${instance.app} ${what}.${formatLastLines(lastLines, 20)}\n(log: ${log})`, {
    details: { app: instance.app, instance: instance.key, port: instance.port, log, lastLines },
  });
}

/**
 * Waits until the given worker processes are gone and the emperor no longer lists their
 * vassals (a vassal written again while its old self is still dying could be missed). uWSGI
 * sends SIGTERM to each process group; what still runs at the time limit is killed with `kill`
 * (which signals only what the pid file may name: see signalInstance).
 */
export async function waitUntilStopped(
  emperor: EmperorLayout,
  processes: readonly InstancePid[],
  vassalIds: readonly string[],
  timeoutMs: number,
  kill: (target: InstancePid, signal: NodeJS.Signals) => void,
): Promise<void> {
  let deadline = Date.now() + timeoutMs;
  let killed = false;
  const ids = new Set(vassalIds);
  for (;;) {
    const running = processes.filter((target) => isAlive(target.pid));
    const stats = ids.size > 0 ? await pokeEmperor(emperor, 500) : undefined;
    const listed = stats?.vassals.filter((vassal) => ids.has(vassal.id)) ?? [];
    if (running.length === 0 && listed.length === 0) return;
    // Its workers gone, a removed vassal's master only waits for its next check, a second later:
    // ended, the emperor lets it go at once.
    const ended = running.length === 0 ? listed.filter((vassal) => endIdleMaster(vassal.pid, stats!.pid)).length : 0;
    if (Date.now() >= deadline) {
      if (killed) return;
      for (const target of running) kill(target, "SIGKILL");
      killed = true;
      deadline = Date.now() + 2_000;
    }
    await sleep(ended > 0 ? 5 : 25);
  }
}

/**
 * SIGKILL to a removed vassal's uWSGI master once it has nothing left to stop (no live child), and
 * only when it is one: a child of the emperor that listed it.
 */
function endIdleMaster(pid: number, emperorPid: number): boolean {
  if (processStat(pid)?.ppid !== emperorPid || childrenOf(pid).length > 0) return false;
  try {
    process.kill(pid, "SIGKILL");
    return true;
  } catch {
    return false; // gone meanwhile
  }
}
