import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AppLimits } from "@hop3/core";
import { linesOf, type Docker } from "./docker.js";
import { swarmError } from "./errors.js";
import { labelFilters, labelFlags, networkName, SECRET_TARGET, secretName } from "./names.js";

/**
 * Makes the engine a swarm manager when it is in no swarm (a single-node swarm advertised on
 * loopback); an engine that is a worker, or in a swarm it cannot manage, is refused.
 */
export async function ensureManager(docker: Docker, app: string): Promise<void> {
  const [state, control] = (await docker(["info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"], "asking the engine for its swarm")).trim().split(" ");
  if (state === "active" && control === "true") return;
  if (state === "inactive") {
    await docker(["swarm", "init", "--advertise-addr", "127.0.0.1"], "making the engine a single-node swarm");
    return;
  }
  throw swarmError("SWARM_NOT_MANAGER", `The engine is in swarm state "${state}"${control === "true" ? "" : " and is not a manager"}: Hop3 creates services on a manager only.`, { details: { app, state } });
}

/** The app's own overlay network: its services reach each other by name, and no other app's. */
export async function ensureNetwork(docker: Docker, app: string): Promise<string> {
  const name = networkName(app);
  if ((await docker.result(["network", "inspect", "--format", "{{.Id}}", name], "inspecting the app's network")).exitCode === 0) return name;
  await docker(["network", "create", "--driver", "overlay", ...labelFlags(app), name], `creating network ${name}`);
  return name;
}

/**
 * The app's environment as a Swarm secret (a JSON object hop3-run reads at start): never in the
 * service spec, never in a container's Config.Env. Named by its content, so it is made once.
 */
export async function ensureSecret(docker: Docker, app: string, env: Readonly<Record<string, string>>): Promise<string> {
  const content = JSON.stringify(Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b))));
  const name = secretName(app, content);
  if ((await docker.result(["secret", "inspect", "--format", "{{.ID}}", name], "inspecting the app's secret")).exitCode === 0) return name;
  const dir = mkdtempSync(join(tmpdir(), "hop3-swarm-env-"));
  try {
    const file = join(dir, "env.json");
    writeFileSync(file, content, { mode: 0o600 });
    await docker(["secret", "create", ...labelFlags(app), name, file], `creating secret ${name}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return name;
}

/** The part of `docker service inspect` the deployer reads. */
export interface ServiceInfo {
  readonly Spec: {
    readonly Mode?: { readonly Replicated?: { readonly Replicas?: number } };
    readonly TaskTemplate: {
      readonly ContainerSpec: { readonly Image: string; readonly Secrets?: readonly { readonly SecretName: string; readonly File?: { readonly Name: string } }[] };
    };
  };
  readonly PreviousSpec?: ServiceInfo["Spec"];
  readonly UpdateStatus?: { readonly State?: string; readonly StartedAt?: string; readonly Message?: string };
}

export async function inspectService(docker: Docker, name: string): Promise<ServiceInfo | undefined> {
  const done = await docker.result(["service", "inspect", name], `inspecting service ${name}`);
  if (done.exitCode !== 0) {
    if (/no such service/i.test(done.lastLines.join("\n"))) return undefined;
    await docker(["service", "inspect", name], `inspecting service ${name}`);
  }
  return (JSON.parse(done.stdout) as ServiceInfo[])[0];
}

/** The env secret a service spec mounts. */
export const secretOf = (spec: ServiceInfo["Spec"] | undefined): string | undefined =>
  spec?.TaskTemplate.ContainerSpec.Secrets?.find((secret) => secret.File?.Name === SECRET_TARGET)?.SecretName;

/** Limits as service flags; what the app may not set (mounts, capabilities, privileges) has no flag here at all. */
export function limitFlags(limits: AppLimits | undefined): string[] {
  if (!limits) return [];
  return [
    ...(limits.memoryBytes !== undefined ? ["--limit-memory", String(limits.memoryBytes)] : []),
    ...(limits.cpus !== undefined ? ["--limit-cpu", String(limits.cpus)] : []),
    ...(limits.processes !== undefined ? ["--limit-pids", String(limits.processes)] : []),
  ];
}

/** How every app service rolls: start-first, one task at a time, rolled back by Swarm when a new task fails. */
export function updatePolicyFlags(monitorSeconds: number): string[] {
  return [
    "--update-order", "start-first",
    "--update-parallelism", "1",
    "--update-failure-action", "rollback",
    "--update-monitor", `${monitorSeconds}s`,
    "--rollback-order", "start-first",
    "--rollback-parallelism", "1",
    "--rollback-monitor", `${monitorSeconds}s`,
  ];
}

/** The tasks Swarm wants running for a service, and what each is doing. */
export interface TaskView {
  readonly slot: number;
  readonly state: "running" | "starting" | "failed";
  readonly detail: string;
}

export async function runningTasks(docker: Docker, name: string): Promise<TaskView[]> {
  const out = await docker(["service", "ps", name, "--filter", "desired-state=running", "--format", "{{.Name}}\t{{.CurrentState}}\t{{.Error}}"], `listing the tasks of ${name}`);
  return linesOf(out).map((line) => {
    const [taskName = "", current = "", error = ""] = line.split("\t");
    const slot = Number(taskName.slice(taskName.lastIndexOf(".") + 1)) || 0;
    const state = /^Running/.test(current) ? "running" : /^(Failed|Rejected|Shutdown|Complete|Orphaned)/.test(current) ? "failed" : "starting";
    return { slot, state, detail: [current, error].filter((part) => part !== "").join(": ") };
  });
}

/** Waits until a service runs `replicas` tasks (healthy: Swarm counts a task running once its health check passes). */
export async function waitForReplicas(docker: Docker, name: string, replicas: number, timeoutMs: number, signal: AbortSignal): Promise<TaskView[] | undefined> {
  const deadline = Date.now() + timeoutMs;
  let tasks: TaskView[] = [];
  while (Date.now() < deadline && !signal.aborted) {
    tasks = await runningTasks(docker, name);
    if (tasks.filter((task) => task.state === "running").length === replicas && tasks.length === replicas) return tasks;
    await sleep(250);
  }
  return undefined;
}

/** How a rolling update ended, as Swarm's UpdateStatus says, or a node holding its tasks lost. */
export type UpdateOutcome = "completed" | "rolled-back" | "paused" | "timeout" | "node-lost";

/** How often a waiting update looks for lost nodes (two docker commands). */
const NODE_CHECK_MS = 2_000;

/**
 * Waits for the update that started after `before` (UpdateStatus.StartedAt) to end: completed,
 * rolled back by Swarm (failure_action), or paused. Ends too when a node Swarm reports down holds
 * a task of the update (`lostNodes` names them): Swarm leaves an update waiting on a task
 * assigned to a node it lost. A rollback (`watchNodes` false)
 * moves no task onto a lost node: it is waited for to its end.
 */
export async function waitForUpdate(docker: Docker, name: string, before: string | undefined, timeoutMs: number, signal: AbortSignal, watchNodes = true): Promise<{ outcome: UpdateOutcome; message: string; lostNodes?: string[] }> {
  const deadline = Date.now() + timeoutMs;
  let message = "";
  let nodesCheckedAt = Date.now();
  while (Date.now() < deadline && !signal.aborted) {
    const status = (await inspectService(docker, name))?.UpdateStatus;
    message = status?.Message ?? "";
    if (watchNodes && Date.now() - nodesCheckedAt >= NODE_CHECK_MS && status?.StartedAt !== before && status?.State === "updating") {
      nodesCheckedAt = Date.now();
      const lostNodes = await lostNodesOf(docker, name, status.StartedAt);
      if (lostNodes.length > 0) return { outcome: "node-lost", message, lostNodes };
    }
    if (status?.StartedAt !== undefined && status.StartedAt !== before) {
      switch (status.State) {
        case "completed":
          return { outcome: "completed", message };
        case "rollback_completed":
          return { outcome: "rolled-back", message };
        case "paused":
        case "rollback_paused":
          return { outcome: "paused", message };
      }
    }
    await sleep(250);
  }
  return { outcome: "timeout", message };
}

/**
 * The nodes Swarm reports down (or unknown) that hold a task of the service it wants running, or
 * one made since `since` (the update's start): Swarm may leave the update waiting on such a task
 * even once it placed a replacement elsewhere. Nodes lost before, with old tasks only, are not named.
 */
export async function lostNodesOf(docker: Docker, service: string, since: string | undefined): Promise<string[]> {
  const nodes = linesOf(await docker(["node", "ls", "--format", "{{.ID}}\t{{.Hostname}}\t{{.Status}}"], "listing the swarm's nodes")).map((line) => line.split("\t"));
  const down = new Map(nodes.filter(([, , status]) => status === "Down" || status === "Unknown").map(([id, hostname]) => [id!, hostname!]));
  if (down.size === 0) return [];
  const ids = linesOf(await docker(["service", "ps", "--quiet", "--no-trunc", service], `listing the tasks of ${service}`));
  if (ids.length === 0) return [];
  const tasks = JSON.parse(await docker(["inspect", "--type", "task", ...ids], `inspecting the tasks of ${service}`)) as { NodeID?: string; CreatedAt?: string; DesiredState?: string }[];
  const sinceMs = since !== undefined ? Date.parse(since) : Number.POSITIVE_INFINITY;
  const lost = tasks.filter((task) => task.NodeID !== undefined && down.has(task.NodeID) && (task.DesiredState === "running" || Date.parse(task.CreatedAt ?? "") >= sinceMs));
  return [...new Set(lost.map((task) => down.get(task.NodeID!)!))].sort();
}

/** Everything the deployer made for the app, of one kind (service, secret, network). */
export async function labelled(docker: Docker, kind: "service" | "secret" | "network", app: string): Promise<string[]> {
  return linesOf(await docker([kind, "ls", ...labelFilters(app), "--format", "{{.Name}}"], `listing the app's ${kind}s`));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
