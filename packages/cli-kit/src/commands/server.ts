import { existsSync } from "node:fs";
import { join } from "node:path";
import { defineCliCommand, Hop3Error, tryLockFile, type CliCommand } from "@hop3/core/cli";
import type { Distribution, ServiceStatus } from "@hop3/core";
import { colors, type CliIO } from "../io.js";

interface ServerState {
  readonly router: { name: string; running: boolean; pid?: number; listen: string; listenTls?: string; apps: readonly string[] };
  readonly services: readonly ServiceStatus[];
  /** The servers of the addon kinds that have an instance (PostgreSQL...), by kind. */
  readonly addons: readonly { readonly name: string; readonly running: boolean; readonly instances: number }[];
}

async function serverState(dist: Distribution, io: CliIO, action: "start" | "stop" | "status"): Promise<ServerState> {
  const context = dist.operationContext({ signal: io.signal });
  const router = dist.router();
  // Only the kinds that have an instance: a server nobody uses is never started.
  const instances = dist.addons();
  const addons = dist.registry.addons().filter((addon) => instances.some((instance) => instance.kind === addon.name));
  // The addons' servers start before the apps that use them and stop after them.
  if (action === "start") for (const addon of addons) await addon.ensureRunning(context);
  const services: ServiceStatus[] = [];
  for (const deployer of dist.registry.deployers()) {
    const call = action === "start" ? deployer.startService : action === "stop" ? deployer.stopService : deployer.serviceStatus;
    if (call) services.push(await call.call(deployer, context));
  }
  if (action === "start") await router.ensureRunning(context);
  if (action === "stop") await router.stop(context);
  // Every kind, even without instances left: the last one destroyed leaves its server running.
  if (action === "stop") for (const addon of dist.registry.addons()) await addon.stop(context);
  const status = await router.status(context);
  const addonStates = [];
  for (const addon of addons) {
    const mine = instances.filter((instance) => instance.kind === addon.name);
    addonStates.push({ name: addon.name, running: (await addon.status(mine[0]!.name, context)).running, instances: mine.length });
  }
  return { router: { name: router.name, ...status }, services, addons: addonStates };
}

function serverText(state: ServerState): string[] {
  const r = state.router;
  return [
    `${r.name}: ${r.running ? `running${r.pid ? ` (pid ${r.pid})` : ""} on ${r.listen}${r.listenTls ? ` and ${r.listenTls} (HTTPS)` : ""}, ${r.apps.length} app(s)` : "stopped"}`,
    ...state.services.map((s) => `${s.name}: ${s.running ? `running${s.pid ? ` (pid ${s.pid})` : ""}` : "stopped"}${s.detail ? `, ${s.detail}` : ""}`),
    ...state.addons.map((a) => `${a.name}: ${a.running ? "running" : "stopped"}, ${a.instances} addon(s)`),
  ];
}

function serverCommand(action: "start" | "stop" | "status", summary: string): CliCommand {
  return defineCliCommand({
    name: ["server", action],
    summary,
    usage: `hop3 server ${action} [--json]`,
    async run({ io, distribution }) {
      const state = await serverState(await distribution(), io, action);
      return { data: state, text: serverText(state) };
    },
  });
}

/** What one deployer or the router did when asked to keep its files within bounds. */
export interface MaintenanceReport {
  readonly name: string;
  readonly role: "deployer" | "router" | "task";
  /** One line per thing done; empty when there was nothing to do. */
  readonly lines: readonly string[];
  /** Set when it failed: the others were still asked. */
  readonly error?: { readonly code: string; readonly message: string; readonly hint: string };
}

export interface MaintenanceResult {
  readonly maintained: readonly MaintenanceReport[];
  /** Set when another `server maintain` of this HOP3_HOME was running: nothing was asked. */
  readonly skipped?: string;
}

/**
 * Asks every deployer, then the router, to keep what its processes pile up within bounds (logs
 * rotated and capped), then runs the plugins' maintenance tasks (certificate renewal...). One at a time per HOP3_HOME: a run that finds another one still going
 * (large logs take longer than the minute between runs) leaves it to finish.
 */
export async function maintainServer(dist: Distribution, io: CliIO): Promise<MaintenanceResult> {
  // A home that does not exist yet holds nothing to rotate; creating it here would skip its layout.
  if (!existsSync(dist.home)) return { maintained: [] };
  const lock = tryLockFile(join(dist.home, "maintain.lock"), "server maintain");
  if (!("release" in lock)) return { maintained: [], skipped: `another hop3 server maintain is running${lock.holder ? ` (pid ${lock.holder.pid}, since ${lock.holder.since})` : ""}` };
  try {
    const context = dist.operationContext({ signal: io.signal });
    const parts: Array<{ name: string; role: MaintenanceReport["role"]; maintain: () => Promise<readonly string[]> }> = [];
    for (const deployer of dist.registry.deployers()) if (deployer.maintain) parts.push({ name: deployer.name, role: "deployer", maintain: () => deployer.maintain!(context) });
    const router = dist.router();
    if (router.maintain) parts.push({ name: router.name, role: "router", maintain: () => router.maintain!(context) });
    for (const task of dist.registry.maintenanceTasks()) parts.push({ name: task.name, role: "task", maintain: () => task.run(dist, context) });
    const maintained: MaintenanceReport[] = [];
    for (const part of parts) {
      try {
        maintained.push({ name: part.name, role: part.role, lines: [...(await part.maintain())] });
      } catch (error) {
        // One part failing (a log it cannot read) must not keep the others' logs growing.
        if (!Hop3Error.is(error)) throw error;
        maintained.push({ name: part.name, role: part.role, lines: [], error: { code: error.code, message: error.message, hint: error.hint } });
      }
    }
    return { maintained };
  } finally {
    lock.release();
  }
}

export const serverMaintainCommand = defineCliCommand({
  name: ["server", "maintain"],
  summary: "Rotate and cap the logs of the apps, the supervisor and the router, and run the plugins' tasks such as certificate renewal (Hop3 runs it every minute)",
  usage: "hop3 server maintain [--json]",
  async run({ io, distribution }) {
    const result = await maintainServer(await distribution(), io);
    const c = colors(io.stderr, io.env);
    const failed = result.maintained.filter((part) => part.error !== undefined);
    for (const { name, error } of failed) io.stderr.write(`${c.red(`error[${error!.code}]`)}: ${name}: ${error!.message}\n${c.bold("hint")}: ${error!.hint}\n`);
    const lines = result.maintained.flatMap((part) => part.lines.map((line) => `${part.name}: ${line}`));
    const text = result.skipped !== undefined ? [`nothing done: ${result.skipped}`] : lines.length > 0 ? lines : failed.length > 0 ? [] : ["nothing to do"];
    return { data: result, text, exitCode: failed.length > 0 ? 1 : 0 };
  },
});

export const serverCommands: readonly CliCommand[] = [
  serverCommand("start", "Start the router, the process supervisor and the addons' servers of this HOP3_HOME"),
  serverCommand("stop", "Stop them (every app stops with them; addon data stays)"),
  serverCommand("status", "Show whether they run"),
  serverMaintainCommand,
];
