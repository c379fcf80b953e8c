import { existsSync, mkdirSync, rmSync } from "node:fs";
import { basename } from "node:path";
import type { BuildArtifact, DeployContext } from "@hop3/core";
import { drainConnections } from "./drain.js";
import { ensureEmperor, pokeEmperor } from "./emperor.js";
import { testCrashPoint } from "@hop3/core";
import { appLayout, emperorLayout, instancePaths, otherSlot, type AppLayout, type EmperorLayout, type InstancePaths, type Slot } from "./layout.js";
import { writeLauncher } from "./launcher.js";
import { emperorSettingsOf, type ResolvedUwsgiOptions } from "./options.js";
import type { InstancePlan, PlannedInstance } from "./plan.js";
import { assignPorts } from "./ports.js";
import { connectHost, isAlive, readPid } from "./process.js";
import { pendingArtifactFile, readPendingArtifact, readStoredApp, reservedPorts, writeArtifact, writePendingArtifact, writeState, type DeployState } from "./state.js";
import { planInstances } from "./plan.js";
import { listVassals, removeVassal, renderVassal, writeVassal } from "./vassal.js";
import { recordedSessions, sweepOrphans } from "./orphans.js";
import { waitUntilRunning, waitUntilStopped, type StartingInstance } from "./wait.js";
import { mergeWorkerEnv, resolvePathPrepend } from "./worker-env.js";

/** Everything an operation on one app works with. */
export interface AppOperation {
  readonly app: string;
  readonly context: DeployContext;
  readonly settings: ResolvedUwsgiOptions;
  readonly emperor: EmperorLayout;
  readonly layout: AppLayout;
}

export function appOperation(app: string, context: DeployContext, settings: ResolvedUwsgiOptions): AppOperation {
  return { app, context, settings, emperor: emperorLayout(context.home), layout: appLayout(context.home, app) };
}

/** What a release is made of, and how to bring it up. */
export interface ReleaseRequest {
  readonly artifact: BuildArtifact;
  readonly plan: InstancePlan;
  /** The state before, for its ports and route. */
  readonly previous?: DeployState;
  /**
   * Which running instances get a new process: `always` (restart), `changed` (deploy: only those
   * whose launcher changed, so a deploy that changes nothing restarts nothing), `never` (start and
   * scale only start the instances that have no vassal).
   */
  readonly reload: "always" | "changed" | "never";
}

/**
 * Brings the processes of an app to the plan: ports, launchers and vassals written atomically,
 * the emperor woken, each instance waited for, then the route switched to the new upstreams and
 * only after that the instances no longer wanted stopped. Returns the saved state.
 */
export async function applyRelease(op: AppOperation, request: ReleaseRequest): Promise<DeployState> {
  const { context, settings, emperor, layout, app } = op;
  const { artifact, plan } = request;
  await ensureEmperor(context.home, emperorSettingsOf(settings), context);
  // Children of a launcher that died abruptly would keep the port the new instance needs.
  await sweepOrphans(recordedSessions(layout.runDir, app));

  const slot: Slot = request.previous?.slot ?? "a";
  const paths = new Map(plan.instances.map((instance) => [instance.key, instancePaths(emperor, layout, instance.worker, instance.index, slot)]));
  const { ports, moved } = await assignPorts({
    keys: plan.instances.filter((instance) => instance.web).map((instance) => instance.key),
    previous: request.previous?.ports ?? {},
    bindAddress: context.bindAddress,
    reserved: reservedPorts(context.home, app),
    isRunning: (key) => isRunningPid(paths.get(key)?.pidFile),
  });
  for (const key of moved) context.logger.warn(`The port of ${app} ${key} was taken by another program; it now listens on ${ports[key]}.`);

  const pathPrepend = resolvePathPrepend(artifact.runtime.path, artifact.runtime.workingDir);
  mkdirSync(layout.logsDir, { recursive: true }); // uWSGI refuses to start a vassal whose log it cannot open
  const starting = plan.instances.map((instance) => writeInstance(op, request, instance, paths.get(instance.key)!, ports[instance.key], pathPrepend));
  writeArtifact(layout, artifact);
  // Saved before waiting, so a release that fails to start can still be seen, stopped and destroyed.
  const state = writeState(layout, { scale: { ...plan.scale }, ports, stopped: false, routed: request.previous?.routed ?? false, slot });
  await pokeEmperor(emperor);
  const routed = await waitAndRoute(op, plan, ports, starting, state);

  const wanted = new Set(plan.instances.map((instance) => instance.key));
  const surplus = listVassals(emperor.vassals, app).filter((vassal) => vassal.slot === slot && !wanted.has(`${vassal.worker}.${vassal.index}`));
  const saved = writeState(layout, { ...state, routed });
  await stopVassals(op, surplus, { forget: true });
  return saved;
}

/**
 * Writes an instance's launcher, and its vassal unless it runs and may stay (start, scale). The
 * pid before the change tells the new process from the old one.
 */
function writeInstance(op: AppOperation, request: ReleaseRequest, instance: PlannedInstance, files: InstancePaths, port: number | undefined, pathPrepend: readonly string[]): StartingInstance {
  const { app, settings } = op;
  const changed = writeInstanceLauncher(op, request.artifact, instance, files, port, pathPrepend);
  const watch = { app, key: instance.key, pidFile: files.pidFile, log: files.log, port, vassal: files.vassal, emperorLog: op.emperor.log };
  const keep = request.reload === "never" || (request.reload === "changed" && !changed && isRunningPid(files.pidFile));
  if (keep && existsSync(files.vassal)) return watch;
  const previousPid = readPid(files.pidFile);
  writeVassal(
    files.vassal,
    renderVassal({
      app,
      worker: instance.worker,
      index: instance.index,
      socket: files.socket,
      log: files.log,
      launcher: files.launcher,
      logMaxBytes: settings.logMaxBytes,
      stopTimeoutSeconds: settings.stopTimeoutSeconds,
    }),
  );
  return { ...watch, previousPid };
}

/**
 * Waits for the instances, and routes. An app without a route serves nobody yet: it is routed
 * while its workers start (an nginx reload costs about as much as a small app's start), and
 * unrouted again if they do not. A routed app is switched only once they are up.
 */
async function waitAndRoute(op: AppOperation, plan: InstancePlan, ports: Readonly<Record<string, number>>, starting: readonly StartingInstance[], state: DeployState): Promise<boolean> {
  const { context, settings, app } = op;
  const early = state.routed ? undefined : applyRoute(op, plan, ports, false);
  early?.catch(() => undefined); // awaited below; this only marks it handled meanwhile
  try {
    await waitUntilRunning(starting, connectHost(context.bindAddress), (context.startTimeoutSeconds ?? settings.startTimeoutSeconds) * 1000, context.signal);
  } catch (error) {
    if (early && (await early.catch(() => false))) {
      await context.router.remove(app, context);
      writeState(op.layout, { ...state, routed: false });
    }
    throw error;
  }
  return early ?? applyRoute(op, plan, ports, state.routed);
}

/** What replaces a running release. */
export interface ReplaceRequest {
  readonly artifact: BuildArtifact;
  readonly plan: InstancePlan;
  /** The state of the release that runs now; it keeps serving until the switch. */
  readonly live: DeployState;
}

/**
 * Starts a release beside the running one, in the other slot on new ports, and switches to it only
 * once it is up and has passed `context.healthGate`: ports and vassals of the new slot written, the
 * emperor woken, every instance waited for, the health gate asked on the new ports, then (state
 * `pending` recorded first) the route switched, the switch recorded, and the old slot drained and
 * stopped. If the new release fails anywhere before the switch, its instances are stopped and the
 * running release was never touched.
 */
export async function replaceRelease(op: AppOperation, request: ReplaceRequest): Promise<DeployState> {
  const { context, settings, emperor, layout, app } = op;
  const { artifact, plan, live } = request;
  await ensureEmperor(context.home, emperorSettingsOf(settings), context);
  await sweepOrphans(recordedSessions(layout.runDir, app));
  const slot = otherSlot(live.slot);
  // What an interrupted deploy left in that slot is not the release being deployed now.
  await stopVassals(op, listVassals(emperor.vassals, app).filter((vassal) => vassal.slot === slot), { forget: true });

  const paths = new Map(plan.instances.map((instance) => [instance.key, instancePaths(emperor, layout, instance.worker, instance.index, slot)]));
  const { ports } = await assignPorts({
    keys: plan.instances.filter((instance) => instance.web).map((instance) => instance.key),
    previous: {},
    bindAddress: context.bindAddress,
    reserved: new Set([...reservedPorts(context.home, app), ...Object.values(live.ports)]),
    isRunning: () => false,
  });
  const pathPrepend = resolvePathPrepend(artifact.runtime.path, artifact.runtime.workingDir);
  mkdirSync(layout.logsDir, { recursive: true });
  const starting = plan.instances.map((instance) => writeInstance(op, { artifact, plan, reload: "always" }, instance, paths.get(instance.key)!, ports[instance.key], pathPrepend));
  await pokeEmperor(emperor);
  testCrashPoint(context.env, "after-vassal");
  try {
    await waitUntilRunning(starting, connectHost(context.bindAddress), (context.startTimeoutSeconds ?? settings.startTimeoutSeconds) * 1000, context.signal);
    const upstreams = webUpstreams(op, plan, ports);
    if (upstreams.length > 0 && context.healthGate) await context.healthGate({ upstreams });
  } catch (error) {
    await stopVassals(op, listVassals(emperor.vassals, app).filter((vassal) => vassal.slot === slot), { forget: true });
    throw error;
  }
  writePendingArtifact(layout, artifact);
  const pending = writeState(layout, { ...live, pending: { slot, ports, scale: { ...plan.scale } } });
  testCrashPoint(context.env, "before-switch");
  return finishSwitch(op, artifact, plan, pending, settings.drainSeconds * 1000);
}

/**
 * Routes to the pending slot, records it as live, then lets requests already sent to the old
 * instances finish (`drainMs`) before stopping them. Safe to run again after a crash: each step
 * only moves further toward the pending release.
 */
async function finishSwitch(op: AppOperation, artifact: BuildArtifact, plan: InstancePlan, state: DeployState, drainMs: number): Promise<DeployState> {
  const { context, layout, emperor, app } = op;
  const pending = state.pending!;
  const routed = await applyRoute(op, plan, pending.ports, state.routed);
  testCrashPoint(context.env, "after-switch");
  writeArtifact(layout, artifact);
  const saved = writeState(layout, { scale: pending.scale, ports: pending.ports, stopped: false, routed, slot: pending.slot });
  rmSync(pendingArtifactFile(layout), { force: true });
  const old = listVassals(emperor.vassals, app).filter((vassal) => vassal.slot !== pending.slot);
  const newPorts = new Set(Object.values(pending.ports));
  const oldPorts = new Set(Object.values(state.ports).filter((port) => !newPorts.has(port)));
  if (old.length > 0 && drainMs > 0) await drainConnections(oldPorts, drainMs, context.signal);
  await stopVassals(op, old, { forget: true });
  return saved;
}

/**
 * Puts right what a deploy killed midway left: a switch recorded as pending is finished when the
 * new instances still run, else the route stays with (or goes back to) the live release; instances
 * of the slot that is not live are stopped. Every operation on an app starts with it, so the next
 * deploy repairs whatever a crash left. Returns whether anything was repaired.
 */
export async function repairInterruptedSwitch(op: AppOperation): Promise<boolean> {
  const { context, layout, emperor, app } = op;
  let stored;
  try {
    stored = readStoredApp(context.home, app);
  } catch {
    return false; // an unreadable state is the deploy's to rewrite
  }
  if (stored === undefined) return false;
  let state = stored.state;
  let repaired = false;
  if (state.pending) {
    const pending = state.pending;
    const artifact = readPendingArtifact(layout);
    const plan = artifact && planInstances(artifact, pending.scale, false);
    const up = plan?.instances.every((instance) => isRunningPid(instancePaths(emperor, layout, instance.worker, instance.index, pending.slot).pidFile)) ?? false;
    if (artifact && plan && up) {
      context.logger.warn(`A switch of ${app} to build ${artifact.buildId} was interrupted; finishing it.`);
      await finishSwitch(op, artifact, plan, state, 0);
      return true;
    }
    context.logger.warn(`A switch of ${app} was interrupted before its new release was up; the live release (build ${stored.artifact.buildId}) keeps the route.`);
    if (state.routed && !state.stopped) await applyRoute(op, planInstances(stored.artifact, state.scale, false), state.ports, true);
    state = writeState(layout, { ...state, pending: undefined });
    rmSync(pendingArtifactFile(layout), { force: true });
    repaired = true;
  }
  const strays = listVassals(emperor.vassals, app).filter((vassal) => vassal.slot !== state.slot);
  if (strays.length > 0) {
    context.logger.warn(`Stopping ${strays.length} instance(s) of ${app} that an interrupted deploy started.`);
    await stopVassals(op, strays, { forget: true });
    repaired = true;
  }
  return repaired;
}

function webUpstreams(op: AppOperation, plan: InstancePlan, ports: Readonly<Record<string, number>>): Array<{ host: string; port: number }> {
  const host = connectHost(op.context.bindAddress);
  return plan.instances.filter((instance) => instance.web).map((instance) => ({ host, port: ports[instance.key]! }));
}

/** Routes the app's host names to its web instances (and its static directory); removes the route when there is nothing to route. */
export async function applyRoute(op: AppOperation, plan: InstancePlan, ports: Readonly<Record<string, number>>, routedBefore: boolean): Promise<boolean> {
  const { context, app } = op;
  const host = connectHost(context.bindAddress);
  const upstreams = plan.instances.filter((instance) => instance.web).map((instance) => ({ host, port: ports[instance.key]! }));
  if (upstreams.length === 0 && plan.staticDir === undefined) {
    if (routedBefore) await context.router.remove(app, context);
    return false;
  }
  const hosts = [...new Set([`${app}.localhost`, ...context.domains])];
  await context.router.ensureRunning(context);
  await context.router.apply({ app, hosts, upstreams, ...(plan.staticDir !== undefined && { staticDir: plan.staticDir }) }, context);
  return true;
}

/**
 * Removes vassals and waits until their workers are gone. With `forget` (scale down, a worker
 * dropped by a redeploy) their launchers and pid files go too; stop keeps them.
 */
export async function stopVassals(op: AppOperation, vassals: ReadonlyArray<{ file: string; worker: string; index: number; slot: Slot }>, options: { forget: boolean }): Promise<void> {
  if (vassals.length === 0) return;
  const files = vassals.map((vassal) => instancePaths(op.emperor, op.layout, vassal.worker, vassal.index, vassal.slot));
  const sessions = files.flatMap((file) => {
    const sid = readPid(file.pidFile);
    return sid === undefined ? [] : [{ sid, instance: `${op.app}_${file.stem}` }];
  });
  for (const vassal of vassals) removeVassal(vassal.file);
  await pokeEmperor(op.emperor);
  const pids = sessions.map((session) => session.sid).filter(isAlive);
  await waitUntilStopped(op.emperor, pids, vassals.map((vassal) => basename(vassal.file)), op.settings.stopTimeoutSeconds * 1000 + 3_000);
  await sweepOrphans(sessions); // a vassal that died abruptly leaves its worker's children behind
  for (const file of files) {
    rmSync(file.socket, { force: true }); // uWSGI removes it itself (vacuum) unless it was killed
    if (options.forget) {
      rmSync(file.launcher, { force: true });
      rmSync(file.pidFile, { force: true });
    }
  }
}

/** Writes the launcher; true when its content changed (or it is new). */
function writeInstanceLauncher(op: AppOperation, artifact: BuildArtifact, instance: PlannedInstance, files: InstancePaths, port: number | undefined, pathPrepend: readonly string[]): boolean {
  const { context } = op;
  const { env } = mergeWorkerEnv({
    artifact: artifact.runtime.env,
    app: context.appEnv,
    user: context.userEnv,
    assigned: { BIND_ADDRESS: context.bindAddress, HOP3_INSTANCE: `${op.app}_${files.stem}`, ...(port !== undefined && { PORT: String(port) }) },
  });
  return writeLauncher(files.launcher, {
    app: op.app,
    worker: instance.worker,
    index: instance.index,
    command: instance.command,
    env,
    pathPrepend,
    workingDir: artifact.runtime.workingDir,
    pidFile: files.pidFile,
  });
}

const isRunningPid = (pidFile: string | undefined): boolean => {
  const pid = pidFile === undefined ? undefined : readPid(pidFile);
  return pid !== undefined && isAlive(pid);
};
