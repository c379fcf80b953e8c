import { closeSync, openSync, readSync, rmSync, statSync } from "node:fs";
import { childrenOf, isAlive, isPortInUse, livePids, readPid, sleep, waitUntil, type OperationContext } from "@hop3/core";
import { nginxError } from "./errors.js";
import type { NginxLayout } from "./layout.js";
import { prefixArgs, runNginx } from "./nginx-cli.js";
import { findProblem, isAddressInUse, masterEmergLines, severeLogLines } from "./nginx-messages.js";
import { listenAddress, type NginxSettings } from "./options.js";
import { orphanWorkersOn } from "./orphans.js";
import { processTitle, sendSignal } from "./procfs.js";

/**
 * The nginx master serving this prefix, or undefined. The pid file is trusted only when its
 * process is an nginx master started with this prefix's configuration: a stale file (nginx
 * killed, pid reused by another program) is ignored, and a master whose pid file was lost is
 * found by its command line.
 */
export function findMaster(layout: NginxLayout): number | undefined {
  const fromFile = readPid(layout.pidFile);
  if (fromFile !== undefined && isOurMaster(fromFile, layout)) return fromFile;
  return livePids().find((pid) => isOurMaster(pid, layout));
}

function isOurMaster(pid: number, layout: NginxLayout): boolean {
  const line = processTitle(pid);
  if (!line.startsWith("nginx: master process") || !isAlive(pid)) return false;
  return line.includes(` -c ${layout.conf} `) || line.endsWith(` -c ${layout.conf}`);
}

/**
 * Starts nginx as a daemon: it forks, calls setsid and outlives Hop3. The port is tried first,
 * so a port in use is reported at once and by name (nginx itself retries for 2.5 s).
 */
export async function startNginx(context: OperationContext, nginx: string, layout: NginxLayout, settings: NginxSettings): Promise<number> {
  const listen = listenAddress(settings);
  await stopOrphans(context, settings.httpPort);
  if (await isPortInUse(settings.bindAddress, settings.httpPort)) {
    throw nginxError("NGINX_START_FAILED", `nginx cannot listen on ${listen}: the port is in use by another program (EADDRINUSE).`, {
      hint: `Stop the program holding port ${settings.httpPort} (\`ss -ltnp 'sport = :${settings.httpPort}'\` shows it), or set HOP3_HTTP_PORT to a free port.`,
      details: { listen },
    });
  }
  rmSync(layout.pidFile, { force: true }); // stale: it would name a dead or foreign process
  const result = await runNginx(context, nginx, prefixArgs(layout), "starting nginx");
  if (result.exitCode !== 0) {
    const problem = findProblem(result.lastLines);
    const line = problem?.line ?? `nginx exited with code ${result.exitCode}`;
    throw nginxError("NGINX_START_FAILED", `nginx did not start: ${line}`, {
      ...(problem && isAddressInUse(problem.line) && { hint: `Another program holds ${listen}; stop it or set HOP3_HTTP_PORT to a free port.` }),
      details: { listen, lastLines: result.lastLines },
    });
  }
  // The daemon writes its pid file just after the foreground process returns.
  const master = await waitUntil(() => {
    const pid = findMaster(layout);
    return pid !== undefined && childrenOf(pid).length > 0 && pid;
  }, { timeoutMs: 5_000, pollMs: 5 });
  if (master !== undefined) return master;
  throw nginxError("NGINX_START_FAILED", `nginx started but no master process was found within 5 s.${tail(layout.errorLog)}`, {
    details: { listen },
  });
}

/** Workers left by a master that died still hold the port: stop them (SIGTERM, then SIGKILL). */
async function stopOrphans(context: OperationContext, port: number): Promise<void> {
  const orphans = orphanWorkersOn(port);
  if (orphans.length === 0) return;
  context.logger.warn(`Stopping nginx workers left behind by a master that died (pids ${orphans.join(", ")}): they hold port ${port}.`);
  for (const [signal, waitMs] of [["SIGTERM", 2_000], ["SIGKILL", 2_000]] as const) {
    for (const pid of orphans) if (isAlive(pid)) sendSignal(pid, signal);
    if (await waitUntil(() => !orphans.some((pid) => isAlive(pid)), { timeoutMs: waitMs, pollMs: 5 })) return;
  }
}

/**
 * Reloads nginx and waits until the new configuration is the one answering. `nginx -s reload`
 * returns before that: the master starts new workers, waits 100 ms, and only then tells the old
 * ones to stop accepting. Done when every old worker is gone or shutting down; a failed reload
 * (the old configuration keeps serving) shows as an [emerg] line in the error log.
 */
export async function reloadNginx(master: number, layout: NginxLayout, timeoutMs: number): Promise<void> {
  const oldWorkers = new Set(childrenOf(master));
  const logOffset = fileSize(layout.errorLog);
  if (!sendSignal(master, "SIGHUP")) {
    throw nginxError("NGINX_RELOAD_FAILED", `nginx (pid ${master}) stopped before it could reload.`, { details: { pid: master } });
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(5);
    const severe = masterEmergLines(readFrom(layout.errorLog, logOffset), master);
    if (severe.length > 0) {
      throw nginxError("NGINX_RELOAD_FAILED", `nginx refused the new configuration and keeps the previous one: ${severe[0]}`, {
        details: { pid: master, lines: severe },
      });
    }
    if (!isAlive(master)) break;
    const workers = childrenOf(master);
    const started = workers.some((pid) => !oldWorkers.has(pid));
    const oldDone = [...oldWorkers].every((pid) => !isAlive(pid) || processTitle(pid).includes("shutting down"));
    if (started && oldDone) return;
  }
  throw nginxError(
    "NGINX_RELOAD_FAILED",
    isAlive(master)
      ? `nginx (pid ${master}) did not switch to the new configuration within ${timeoutMs} ms.${tail(layout.errorLog)}`
      : `nginx (pid ${master}) exited while reloading.${tail(layout.errorLog)}`,
    { details: { pid: master } },
  );
}

/**
 * Stops nginx: a graceful stop (SIGQUIT) that lets requests finish, then SIGTERM, then SIGKILL
 * of the master and of any worker it left behind, so the port is always freed.
 */
export async function stopNginx(master: number, layout: NginxLayout): Promise<void> {
  const workers = childrenOf(master);
  const steps: Array<[NodeJS.Signals, number]> = [
    ["SIGQUIT", 5_000],
    ["SIGTERM", 3_000],
    ["SIGKILL", 2_000],
  ];
  for (const [signal, waitMs] of steps) {
    const targets = signal === "SIGKILL" ? [master, ...workers] : [master];
    for (const pid of targets) if (isAlive(pid)) sendSignal(pid, signal);
    if (await waitUntil(() => ![master, ...workers].some((pid) => isAlive(pid)), { timeoutMs: waitMs, pollMs: 5 })) {
      rmSync(layout.pidFile, { force: true });
      return;
    }
  }
  throw nginxError("NGINX_STOP_FAILED", `nginx (pid ${master}) is still running after SIGQUIT, SIGTERM and SIGKILL.`, {
    details: { pid: master, workers },
  });
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readFrom(path: string, offset: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const length = Math.max(0, fileSize(path) - offset);
    if (length === 0) return "";
    const buffer = Buffer.alloc(Math.min(length, 64 * 1024));
    const read = readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.subarray(0, read).toString("utf8");
  } catch {
    return "";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The last severe lines of the error log, for messages. */
function tail(path: string): string {
  const lines = severeLogLines(readFrom(path, Math.max(0, fileSize(path) - 4096))).slice(-3);
  return lines.length === 0 ? "" : `\nnginx error log:\n${lines.map((line) => `  ${line}`).join("\n")}`;
}
