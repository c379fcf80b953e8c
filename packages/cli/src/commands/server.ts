import type { Distribution, ServiceStatus } from "@hop3/core";
import type { CliIO } from "../io.js";
import { defineCommand, type Command } from "../command.js";

interface ServerState {
  readonly router: { name: string; running: boolean; pid?: number; listen: string; apps: readonly string[] };
  readonly services: readonly ServiceStatus[];
}

async function serverState(dist: Distribution, io: CliIO, action: "start" | "stop" | "status"): Promise<ServerState> {
  const context = dist.operationContext({ signal: io.signal });
  const router = dist.router();
  const services: ServiceStatus[] = [];
  for (const deployer of dist.registry.deployers()) {
    const call = action === "start" ? deployer.startService : action === "stop" ? deployer.stopService : deployer.serviceStatus;
    if (call) services.push(await call.call(deployer, context));
  }
  if (action === "start") await router.ensureRunning(context);
  if (action === "stop") await router.stop(context);
  const status = await router.status(context);
  return { router: { name: router.name, ...status }, services };
}

function serverText(state: ServerState): string[] {
  const r = state.router;
  return [
    `${r.name}: ${r.running ? `running${r.pid ? ` (pid ${r.pid})` : ""} on ${r.listen}, ${r.apps.length} app(s)` : "stopped"}`,
    ...state.services.map((s) => `${s.name}: ${s.running ? `running${s.pid ? ` (pid ${s.pid})` : ""}` : "stopped"}${s.detail ? `, ${s.detail}` : ""}`),
  ];
}

function serverCommand(action: "start" | "stop" | "status", summary: string): Command {
  return defineCommand({
    name: ["server", action],
    summary,
    usage: `hop3 server ${action} [--json]`,
    async run({ io, distribution }) {
      const state = await serverState(await distribution(), io, action);
      return { data: state, text: serverText(state) };
    },
  });
}

export const serverCommands: readonly Command[] = [
  serverCommand("start", "Start the router and the process supervisor of this HOP3_HOME"),
  serverCommand("stop", "Stop them (every app stops with them)"),
  serverCommand("status", "Show whether they run"),
];
