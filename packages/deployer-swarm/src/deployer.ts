import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  artifactShape,
  describeShape,
  findFreePort,
  type BuildArtifact,
  type DeployContext,
  type Deployer,
  type DeploymentStatus,
  type Hop3Error as Hop3ErrorType,
  type OperationContext,
  type ReleasePreview,
  type ServiceStatus,
  type WorkerLog,
  type WorkerStatus,
} from "@hop3/core";
import { ensureClosureImage } from "./closure-image.js";
import { dockerOf, type Docker } from "./docker.js";
import { swarmError } from "./errors.js";
import { ensureEdgeImage, ensureServiceImage, pushImage } from "./image.js";
import { edgeName, labelFilters, labelFlags, SECRET_TARGET, serviceName, WORKER_NAME_PATTERN } from "./names.js";
import { DEPLOYER_NAME, resolveSwarmOptions, type ResolvedSwarmOptions, type SwarmDeployerOptions } from "./options.js";
import { ensureRegistry, ownRegistryAddress, REGISTRY_SERVICE_NAME, registryStatus, stopRegistry, superviseRegistry } from "./registry.js";
import { ensureRunner, swarmDir } from "./runner.js";
import { readAppState, removeAppState, writeAppState, type SwarmAppState } from "./state.js";
import {
  ensureManager,
  ensureNetwork,
  ensureSecret,
  inspectService,
  labelled,
  limitFlags,
  runningTasks,
  secretOf,
  sleep,
  updatePolicyFlags,
  waitForReplicas,
  waitForUpdate,
} from "./swarm.js";

/** The port the edge listens on inside its container. */
const EDGE_PORT = 8000;
/** hop3.toml [run] start-timeout when the app does not say (as Hop3's health gate). */
const DEFAULT_START_TIMEOUT_SECONDS = 30;
const WEB = "web";
/** The port a Nix app's web worker is told ($PORT) in its container. */
const NIX_CONTAINER_PORT = 5000;

/**
 * The Swarm deployer: each worker of a container-image artifact (or, for an app that names the
 * deployer, of a Nix closure packed into an image) runs as a replicated Swarm service, updated start-first and rolled back by Swarm when the new tasks fail their health
 * check. nginx forwards to the app's edge, a service published on the manager that sends each
 * connection to a live web task over the app's own overlay network.
 */
export function createSwarmDeployer(options?: SwarmDeployerOptions): Deployer {
  const resolved = resolveSwarmOptions(options);
  return {
    apiVersion: 1,
    name: DEPLOYER_NAME,
    description: "Runs container images as Docker Swarm services",
    takes: ["container-image"],
    takesWhenNamed: ["processes"],
    check: (preview) => checkRelease(preview),
    deploy: (artifact, context) => deploy(resolved, artifact, context),
    start: (app, context) => start(resolved, app, context),
    stop: (app, context) => stop(resolved, app, context),
    restart: (app, context) => restart(resolved, app, context),
    scale: (app, context) => scale(resolved, app, context),
    destroy: (app, context) => destroy(resolved, app, context),
    status: (app, context) => status(resolved, app, context),
    logFiles: (app, context) => logFiles(resolved, app, context),
    // Hop3's own registry is this deployer's service: started, stopped, shown and kept up with the others.
    ...(resolved.registry === undefined && {
      startService: async (context) => {
        if (ownRegistryAddress(context.home) !== undefined) await ensureRegistry(context);
        return ownRegistryStatus(context);
      },
      stopService: async (context) => {
        await stopRegistry(context);
        return ownRegistryStatus(context);
      },
      serviceStatus: (context) => ownRegistryStatus(context),
      maintain: (context) => superviseRegistry(context),
    }),
  };
}

/** The registry the nodes pull from: the one the options name, else Hop3's own (started if need be); none with `registry: false`. */
async function registryFor(options: ResolvedSwarmOptions, context: OperationContext): Promise<string | undefined> {
  if (options.registry === false) return undefined;
  if (options.registry !== undefined) return options.registry;
  const started = await ensureRegistry(context);
  return started.address;
}

async function ownRegistryStatus(context: OperationContext): Promise<ServiceStatus> {
  return (await registryStatus(context)) ?? { name: REGISTRY_SERVICE_NAME, running: false, detail: "not started yet: the first Swarm deploy starts it" };
}

function checkRelease(preview: ReleasePreview): Hop3ErrorType[] {
  const problems: Hop3ErrorType[] = [];
  if (preview.shape !== "container-image" && preview.shape !== "processes") {
    problems.push(swarmError("SWARM_ARTIFACT_UNSUPPORTED", `${preview.app} would be of shape "${preview.shape}"; the Swarm deployer runs container images and Nix closures.`, { details: { app: preview.app } }));
  }
  for (const worker of Object.keys(preview.workers)) {
    if (!WORKER_NAME_PATTERN.test(worker)) problems.push(badWorker(preview.app, worker));
  }
  return problems;
}

const badWorker = (app: string, worker: string) =>
  swarmError("SWARM_ARTIFACT_UNSUPPORTED", `Worker "${worker}" of ${app} cannot name a Swarm service: worker names are lowercase letters, digits and "-", 31 at most, starting with a letter.`, {
    details: { app, worker },
  });

async function deploy(options: ResolvedSwarmOptions, artifact: BuildArtifact, context: DeployContext): Promise<DeploymentStatus> {
  const app = artifact.appName;
  const shape = artifactShape(artifact);
  const closure = shape === "processes" && typeof artifact.metadata.storePath === "string";
  if (shape !== "container-image" && !closure) {
    throw swarmError("SWARM_ARTIFACT_UNSUPPORTED", `The artifact of ${app} is ${describeShape(artifact)}; the Swarm deployer runs container images and Nix closures.`, { details: { app, kind: artifact.kind } });
  }
  const workers = Object.keys(artifact.runtime.workers).sort((a, b) => (a === WEB ? -1 : b === WEB ? 1 : a.localeCompare(b)));
  for (const worker of workers) if (!WORKER_NAME_PATTERN.test(worker)) throw badWorker(app, worker);
  const containerPort = closure ? NIX_CONTAINER_PORT : Number(artifact.metadata.containerPort);
  if (!Number.isInteger(containerPort) || containerPort < 1 || containerPort > 65535) {
    throw swarmError("SWARM_ARTIFACT_UNSUPPORTED", `The artifact of ${app} names no container port (metadata.containerPort).`, { details: { app } });
  }
  const docker = dockerOf(options, context, app);
  await ensureManager(docker, app);
  const registry = await registryFor(options, context);
  const runner = await ensureRunner(options, context);
  const startTimeoutSeconds = context.startTimeoutSeconds ?? DEFAULT_START_TIMEOUT_SECONDS;
  const explicit = artifact.runtime.healthcheck;
  const packed = closure ? await packClosure(options, docker, artifact, context) : undefined;
  context.logger.info(`building the service image of ${app} from ${packed?.reference ?? artifact.location}`);
  const baseSpec = {
    app,
    baseImage: packed?.reference ?? artifact.location,
    baseId: typeof artifact.metadata.imageId === "string" ? artifact.metadata.imageId : artifact.buildId,
    containerPort,
    check: explicit ?? { path: "/" },
    strict: explicit !== undefined,
    startTimeoutSeconds,
    runner,
    ...(registry !== undefined && { registry }),
  };
  // A Docker app's workers all run its image; a Nix app's each run their command through the closure's shell.
  const images: Record<string, string> = {};
  for (const worker of workers) {
    images[worker] = await ensureServiceImage(docker, packed ? { ...baseSpec, command: [packed.shell, "-c", artifact.runtime.workers[worker]!] } : baseSpec);
  }
  const edgeImage = workers.includes(WEB) ? await ensureEdgeImage(docker, app, runner, registry) : undefined;
  // Everything the nodes pull is in the registry before anything on the swarm changes.
  if (registry !== undefined) {
    for (const image of new Set(Object.values(images))) await pushImage(docker, app, image, registry);
    if (edgeImage !== undefined) await pushImage(docker, app, edgeImage, registry);
  }
  context.logger.info(`putting the environment of ${app} in a Swarm secret`);
  const network = await ensureNetwork(docker, app);
  const env = { ...artifact.runtime.env, ...context.appEnv, ...context.userEnv, PORT: String(containerPort), BIND_ADDRESS: "0.0.0.0" };
  const secret = await ensureSecret(docker, app, env);
  const previous = readAppState(context, app);
  const replicas = Object.fromEntries(workers.map((worker) => [worker, context.scale[worker] ?? previous?.replicas[worker] ?? 1]));
  const resolveFlag = registry === undefined ? ["--no-resolve-image"] : ["--with-registry-auth"];

  // Services are created or updated one at a time, web first; when one fails, those already
  // changed go back to what they ran, so the release that served still serves.
  const changed: { name: string; created: boolean }[] = [];
  try {
    for (const worker of workers) {
      const name = serviceName(app, worker);
      const image = images[worker]!;
      const current = await inspectService(docker, name);
      const health = worker === WEB ? [] : ["--no-healthcheck"];
      if (current === undefined) {
        context.logger.info(`creating service ${name} (${replicas[worker]} task(s))`);
        await docker(
          [
            "service", "create", "--detach", "--name", name, ...labelFlags(app), "--network", network, "--endpoint-mode", "dnsrr", "--init",
            "--replicas", String(replicas[worker]), "--secret", `source=${secret},target=${SECRET_TARGET}`, ...limitFlags(context.limits), ...health,
            ...updatePolicyFlags(options.updateMonitorSeconds), ...resolveFlag, image,
          ],
          `creating service ${name}`,
        );
        changed.push({ name, created: true });
        const tasks = await waitForReplicas(docker, name, replicas[worker]!, (startTimeoutSeconds + 60) * 1000, context.signal);
        if (!tasks) {
          const seen = (await runningTasks(docker, name)).map((task) => `  ${name}.${task.slot}: ${task.detail}`);
          throw swarmError("SWARM_START_FAILED", `${name} did not run ${replicas[worker]} healthy task(s) within ${startTimeoutSeconds + 60} s:\n${seen.join("\n") || "  (no task)"}`, { details: { app, worker } });
        }
        continue;
      }
      const oldSecret = secretOf(current.Spec);
      const secretFlags = oldSecret === secret ? [] : [...(oldSecret !== undefined ? ["--secret-rm", oldSecret] : []), "--secret-add", `source=${secret},target=${SECRET_TARGET}`];
      const before = current.UpdateStatus?.StartedAt;
      const rolls = current.Spec.TaskTemplate.ContainerSpec.Image !== image || secretFlags.length > 0;
      context.logger.info(rolls ? `rolling ${name} to the new release (start-first, health-gated)` : `updating ${name}`);
      await docker(
        ["service", "update", "--detach", "--image", image, ...secretFlags, "--replicas", String(replicas[worker]), ...limitFlags(context.limits), ...updatePolicyFlags(options.updateMonitorSeconds), ...resolveFlag, name],
        `updating service ${name}`,
      );
      changed.push({ name, created: false });
      await converge(options, docker, app, name, rolls ? before : null, replicas[worker]!, context.signal);
    }
    const edgePort = edgeImage !== undefined ? await ensureEdge(docker, app, network, edgeImage, containerPort, previous?.edgePort, resolveFlag) : undefined;
    if (edgePort !== undefined) {
      context.logger.info(`routing ${app} through its edge on port ${edgePort}`);
      const upstreams = [{ host: "127.0.0.1", port: edgePort }];
      if (context.healthGate) await context.healthGate({ upstreams });
      await context.router.apply({ app, hosts: [`${app}.localhost`, ...context.domains], upstreams }, context);
    }
    // Workers the new release no longer has.
    for (const worker of previous?.workers ?? []) {
      if (!workers.includes(worker)) await docker.result(["service", "rm", serviceName(app, worker)], `removing service ${serviceName(app, worker)}`);
    }
    writeAppState(context, { app, buildId: artifact.buildId, image: images[workers[0]!] ?? "", secret, containerPort, workers, replicas, ...(edgePort !== undefined && { edgePort }) });
  } catch (error) {
    await undo(docker, changed, context);
    throw error;
  }
  await pruneSecrets(docker, app);
  return status(options, app, context);
}

/** A Nix app's closure as an image (once per store path), and the sizes the log reports. */
async function packClosure(options: ResolvedSwarmOptions, docker: Docker, artifact: BuildArtifact, context: DeployContext) {
  const started = Date.now();
  const packed = await ensureClosureImage(options, docker, artifact, context);
  const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
  context.logger.info(`packed the Nix closure of ${artifact.appName} (${packed.paths} store paths, ${mib(packed.closureBytes)} MiB, ${packed.layers} layers) into ${packed.reference} in ${Date.now() - started} ms`);
  return packed;
}

/**
 * Waits for a service's rolling update (when its tasks changed: `before` is the StartedAt of the
 * update before it, null when only the replicas changed) and for its replicas.
 */
async function converge(options: ResolvedSwarmOptions, docker: Docker, app: string, name: string, before: string | undefined | null, replicas: number, signal: AbortSignal): Promise<void> {
  const timeoutMs = options.updateTimeoutSeconds * 1000;
  if (before !== null) {
    const { outcome, message, lostNodes = [] } = await waitForUpdate(docker, name, before, timeoutMs, signal);
    if (outcome === "node-lost") {
      throw swarmError(
        "SWARM_NODE_LOST",
        `The rolling update of ${name} stopped: Swarm lost node ${lostNodes.join(", ")}, which holds a task of the update (Swarm leaves an update waiting on a task assigned to a node it lost); Hop3 rolls the service back to the release that served.`,
        { details: { app, service: name, nodes: lostNodes } },
      );
    }
    if (outcome === "rolled-back") {
      throw swarmError("SWARM_UPDATE_ROLLED_BACK", `The rolling update of ${name} failed and Swarm rolled it back (${message || "no message"}); the release that served still serves.`, { details: { app, service: name, message } });
    }
    if (outcome === "paused") {
      throw swarmError("SWARM_UPDATE_PAUSED", `The rolling update of ${name} paused: ${message || "no message"}.`, { details: { app, service: name, message } });
    }
    if (outcome === "timeout") {
      throw swarmError("SWARM_UPDATE_PAUSED", `The rolling update of ${name} did not end within ${options.updateTimeoutSeconds} s (${message || "no message"}).`, { details: { app, service: name, message } });
    }
  }
  if (!(await waitForReplicas(docker, name, replicas, timeoutMs, signal))) {
    throw swarmError("SWARM_START_FAILED", `${name} did not run ${replicas} healthy task(s) within ${options.updateTimeoutSeconds} s.`, { details: { app, service: name } });
  }
}

/** Puts back what a failed deploy changed: new services go, updated ones roll back to their previous spec. */
async function undo(docker: Docker, changed: readonly { name: string; created: boolean }[], context: OperationContext): Promise<void> {
  for (const { name, created } of [...changed].reverse()) {
    if (created) {
      await docker.result(["service", "rm", name], `removing service ${name}`);
      continue;
    }
    const info = await inspectService(docker, name);
    // Swarm rolled it back already (failure_action), or it never rolled.
    if (info?.UpdateStatus?.State === "rollback_completed" || info?.PreviousSpec === undefined) continue;
    const done = await docker.result(["service", "rollback", "--detach", name], `rolling back service ${name}`);
    if (done.exitCode !== 0) context.logger.warn(`could not roll back ${name}: ${done.lastLines.join(" ")}`);
    else await waitForUpdate(docker, name, info.UpdateStatus?.StartedAt, 300_000, context.signal, false);
  }
}

/**
 * The app's edge, created once: a published port on the manager (host mode: this kernel-free path
 * needs no IPVS routing mesh) that nginx forwards to. Returns the port.
 */
async function ensureEdge(docker: Docker, app: string, network: string, image: string, containerPort: number, knownPort: number | undefined, resolveFlag: string[]): Promise<number> {
  const name = edgeName(app);
  const target = [`0.0.0.0:${EDGE_PORT}`, serviceName(app, WEB), String(containerPort)];
  const current = await inspectService(docker, name);
  if (current !== undefined && knownPort !== undefined) {
    const args = (current.Spec.TaskTemplate.ContainerSpec as { Args?: string[] }).Args ?? [];
    if (JSON.stringify(args) !== JSON.stringify(target)) await docker(["service", "update", "--detach=false", "--quiet", "--args", target.join(" "), name], `updating ${name}`);
    if ((current.Spec.Mode?.Replicated?.Replicas ?? 0) === 0) await docker(["service", "scale", "--detach=false", `${name}=1`], `starting ${name}`);
    return knownPort;
  }
  if (current !== undefined) await docker(["service", "rm", name], `removing ${name}`);
  // Published on every interface of the node: free there, not only on loopback.
  const port = await findFreePort("0.0.0.0");
  await docker(
    [
      "service", "create", "--detach=false", "--quiet", "--name", name, ...labelFlags(app), "--network", network, "--endpoint-mode", "dnsrr", "--init",
      "--publish", `mode=host,published=${port},target=${EDGE_PORT}`, "--constraint", "node.role==manager", "--replicas", "1", ...resolveFlag, image, ...target,
    ],
    `creating ${name}`,
    120_000,
  );
  return port;
}

/** Removes the app's env secrets no service spec (current or previous, which Swarm's rollback needs) mounts. */
async function pruneSecrets(docker: Docker, app: string): Promise<void> {
  const inUse = new Set<string>();
  for (const service of await labelled(docker, "service", app)) {
    const info = await inspectService(docker, service);
    for (const spec of [info?.Spec, info?.PreviousSpec]) {
      const secret = secretOf(spec);
      if (secret !== undefined) inUse.add(secret);
    }
  }
  for (const secret of await labelled(docker, "secret", app)) {
    if (!inUse.has(secret)) await docker.result(["secret", "rm", secret], `removing secret ${secret}`);
  }
}

function requireState(context: OperationContext, app: string): SwarmAppState {
  const state = readAppState(context, app);
  if (!state) throw swarmError("SWARM_APP_NOT_DEPLOYED", `The Swarm deployer has not deployed ${app}.`, { details: { app } });
  return state;
}

async function scale(options: ResolvedSwarmOptions, app: string, context: DeployContext): Promise<DeploymentStatus> {
  const state = requireState(context, app);
  const docker = dockerOf(options, context, app);
  const replicas = Object.fromEntries(state.workers.map((worker) => [worker, context.scale[worker] ?? state.replicas[worker] ?? 1]));
  if (!state.stopped) {
    for (const worker of state.workers) {
      const name = serviceName(app, worker);
      await docker(["service", "update", "--detach", "--replicas", String(replicas[worker]), name], `scaling ${name}`);
      await converge(options, docker, app, name, null, replicas[worker]!, context.signal);
    }
  }
  writeAppState(context, { ...state, replicas });
  return status(options, app, context);
}

async function stop(options: ResolvedSwarmOptions, app: string, context: DeployContext): Promise<DeploymentStatus> {
  const state = readAppState(context, app);
  if (!state) return { app, state: "absent", workers: [] };
  const docker = dockerOf(options, context, app);
  await context.router.remove(app, context);
  for (const name of [...state.workers.map((worker) => serviceName(app, worker)), ...(state.edgePort !== undefined ? [edgeName(app)] : [])]) {
    await docker(["service", "update", "--detach", "--replicas", "0", name], `stopping ${name}`);
    await waitForReplicas(docker, name, 0, 60_000, context.signal);
  }
  writeAppState(context, { ...state, stopped: true });
  return status(options, app, context);
}

async function start(options: ResolvedSwarmOptions, app: string, context: DeployContext): Promise<DeploymentStatus> {
  const state = requireState(context, app);
  const docker = dockerOf(options, context, app);
  for (const worker of state.workers) {
    const name = serviceName(app, worker);
    await docker(["service", "update", "--detach", "--replicas", String(state.replicas[worker] ?? 1), name], `starting ${name}`);
    await converge(options, docker, app, name, null, state.replicas[worker] ?? 1, context.signal);
  }
  if (state.edgePort !== undefined) {
    await docker(["service", "update", "--detach", "--replicas", "1", edgeName(app)], `starting ${edgeName(app)}`);
    await waitForReplicas(docker, edgeName(app), 1, 60_000, context.signal);
    await context.router.apply({ app, hosts: [`${app}.localhost`, ...context.domains], upstreams: [{ host: "127.0.0.1", port: state.edgePort }] }, context);
  }
  const { stopped: _, ...running } = state;
  writeAppState(context, running);
  return status(options, app, context);
}

/** A rolling restart: new tasks start beside the old ones (start-first), as an update does. */
async function restart(options: ResolvedSwarmOptions, app: string, context: DeployContext): Promise<DeploymentStatus> {
  const state = requireState(context, app);
  if (state.stopped) return start(options, app, context);
  const docker = dockerOf(options, context, app);
  for (const worker of state.workers) {
    const name = serviceName(app, worker);
    const before = (await inspectService(docker, name))?.UpdateStatus?.StartedAt;
    await docker(["service", "update", "--detach", "--force", name], `restarting ${name}`);
    await converge(options, docker, app, name, before, state.replicas[worker] ?? 1, context.signal);
  }
  return status(options, app, context);
}

async function status(options: ResolvedSwarmOptions, app: string, context: DeployContext | OperationContext): Promise<DeploymentStatus> {
  const state = readAppState(context, app);
  if (!state) return { app, state: "absent", workers: [] };
  const docker = dockerOf(options, context, app);
  const workers: WorkerStatus[] = [];
  let wanted = 0;
  for (const worker of state.workers) {
    const replicas = state.stopped ? 0 : (state.replicas[worker] ?? 1);
    wanted += replicas;
    const tasks = await runningTasks(docker, serviceName(app, worker));
    for (const task of tasks.sort((a, b) => a.slot - b.slot)) {
      workers.push({ worker, instance: task.slot, state: task.state, detail: task.detail, ...(worker === WEB && { port: state.containerPort }) });
    }
  }
  const running = workers.filter((worker) => worker.state === "running").length;
  const overall = state.stopped || running === 0 ? (wanted === 0 || state.stopped ? "stopped" : "partial") : running >= wanted ? "running" : "partial";
  const url = "router" in context && state.edgePort !== undefined && !state.stopped ? { url: context.router.urlFor(app) } : {};
  return { app, state: overall, workers, ...url };
}

/** `docker service logs` of each worker, written to a file `hop3 logs` reads (the swarm keeps the logs; this is a copy). */
async function logFiles(options: ResolvedSwarmOptions, app: string, context: OperationContext): Promise<readonly WorkerLog[]> {
  const state = readAppState(context, app);
  if (!state) return [];
  const docker = dockerOf(options, context, app);
  const dir = join(swarmDir(context.home), "logs", app);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const logs: WorkerLog[] = [];
  for (const worker of state.workers) {
    const name = serviceName(app, worker);
    const done = await docker.result(["service", "logs", "--timestamps", "--no-task-ids", "--tail", "1000", name], `reading the logs of ${name}`, 60_000);
    const path = join(dir, `${worker}.log`);
    writeFileSync(path, `${done.stdout}${done.stderr}`, { mode: 0o600 });
    logs.push({ worker, instance: 1, path });
  }
  return logs;
}

/**
 * Removes the services, secrets, network and images the deployer made for the app (found by its
 * two labels), and nothing else: the builder's image, other apps and other services stay.
 */
async function destroy(options: ResolvedSwarmOptions, app: string, context: DeployContext): Promise<void> {
  const docker = dockerOf(options, context, app);
  if (!readAppState(context, app)) {
    // Never deployed here: nothing to do, and no error (every deployer is asked), but what a first
    // deploy refused by the registry built goes, when the engine answers.
    await removeLabelled(docker, app, context).catch(() => undefined);
    return;
  }
  await context.router.remove(app, context);
  await removeLabelled(docker, app, context);
}

async function removeLabelled(docker: Docker, app: string, context: DeployContext): Promise<void> {
  const services = await labelled(docker, "service", app);
  if (services.length > 0) await docker(["service", "rm", ...services], `removing the services of ${app}`);
  // Secrets, the network and images are freed once the tasks' containers are gone.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    let left = "";
    // Filters on one label are ANDed: one query per service.
    for (const service of services) left += await docker(["ps", "-aq", "--filter", `label=com.docker.swarm.service.name=${service}`], "listing the app's containers");
    if (left.trim() === "") break;
    await sleep(250);
  }
  for (const secret of await labelled(docker, "secret", app)) await docker(["secret", "rm", secret], `removing secret ${secret}`);
  for (const network of await labelled(docker, "network", app)) await removeWithRetry(docker, ["network", "rm", network], `removing network ${network}`);
  const images = await docker(["image", "ls", ...labelFilters(app), "--format", "{{.Repository}}:{{.Tag}}"], "listing the app's images");
  for (const image of new Set(images.split("\n").map((line) => line.trim()).filter((line) => line !== "" && !line.endsWith(":<none>")))) {
    await docker(["image", "rm", image], `removing image ${image}`);
  }
  removeAppState(context, app);
}

/** A network is busy for a moment after its last container went. */
async function removeWithRetry(docker: Docker, args: string[], purpose: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const done = await docker.result(args, purpose);
    if (done.exitCode === 0 || attempt >= 20) {
      if (done.exitCode !== 0) await docker(args, purpose);
      return;
    }
    await sleep(500);
  }
}


