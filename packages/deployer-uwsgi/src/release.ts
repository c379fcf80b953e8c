import { existsSync, readdirSync, rmSync } from "node:fs";
import { basename } from "node:path";
import { appProcessEnv, findProgram, testCrashPoint, type AppLimits, type AppUser, type BuildArtifact, type DeployContext, type RouteSlots } from "@hop3/core";
import { appOwner, existingAppUser, isCurrent, prepareBox, preparePidFile, processLimitFallback, releaseCgroup, rootOwner, SYSTEM_PATH, writeOwnedFile, type AppBox, type FileOwner } from "./box.js";
import { drainConnections } from "./drain.js";
import { ensureEmperor, pokeEmperor } from "./emperor.js";
import { appLayout, emperorLayout, instancePaths, otherSlot, type AppLayout, type EmperorLayout, type InstancePaths, type Isolation, type Slot } from "./layout.js";
import { renderContainerLauncher, renderEnvFile, renderLauncher } from "./launcher.js";
import { cronLockFile, renderCronLauncher, stopCronRuns, systemFlock } from "./cron.js";
import { emperorSettingsOf, type ResolvedUwsgiOptions } from "./options.js";
import type { InstancePlan, PlannedInstance } from "./plan.js";
import { instanceRuns, readInstancePid, readPidFile, currentPidFile, signalInstance, type InstancePid } from "./pids.js";
import { assignPorts } from "./ports.js";
import { connectHost } from "./process.js";
import { pendingArtifactFile, readPendingArtifact, readStoredApp, reservedPorts, writeArtifact, writePendingArtifact, writeState, type DeployState } from "./state.js";
import { planInstances } from "./plan.js";
import { isLegacyVassal, listVassals, readVassal, removeVassal, renderVassal, writeNewVassal } from "./vassal.js";
import { appSessions, sweepOrphans, type InstanceSession } from "./orphans.js";
import { waitUntilRunning, waitUntilStopped, type StartingInstance } from "./wait.js";
import { nativeCommand } from "./wsgi.js";
import { ASSIGNED_NAMES, mergeWorkerEnv, portKeys, portOf, resolvePathPrepend } from "./worker-env.js";

/** Everything an operation on one app works with. */
export interface AppOperation {
  readonly app: string;
  readonly context: DeployContext;
  readonly settings: ResolvedUwsgiOptions;
  readonly emperor: EmperorLayout;
  readonly layout: AppLayout;
  /** The app's box, made by the first step of the operation that starts processes (see boxOf). */
  box?: AppBox;
  /** The app's user as found (not made) by an operation that starts nothing; null when it has none. */
  foundUser?: AppUser | null;
}

export function appOperation(app: string, context: DeployContext, settings: ResolvedUwsgiOptions): AppOperation {
  return { app, context, settings, emperor: emperorLayout(context.home), layout: appLayout(context.home, app) };
}

/** The app's box (user, directories, limits), made once per operation; only operations that start processes call it. */
export function boxOf(op: AppOperation): AppBox {
  op.box ??= prepareBox(op.context, op.emperor, op.layout);
  return op.box;
}

/** The app's user, to check pids against; never made here (stop, status and destroy do not make users). */
export function userOf(op: AppOperation): AppUser | undefined {
  if (op.box) return op.box.user;
  if (op.foundUser === undefined) op.foundUser = existingAppUser(op.context, op.app) ?? null;
  return op.foundUser ?? undefined;
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
  const box = boxOf(op);
  await ensureEmperor(context.home, emperorSettingsOf(settings), context);
  // Children of a launcher that died abruptly would keep the port the new instance needs.
  await sweepOrphans(appSessions(layout), box.user);

  const slot: Slot = request.previous?.slot ?? "a";
  const paths = new Map(plan.instances.map((instance) => [instance.key, instancePaths(emperor, layout, instance.worker, instance.index, slot)]));
  const { ports, moved } = await assignPorts({
    keys: portKeys(plan.instances),
    previous: request.previous?.ports ?? {},
    bindAddress: context.bindAddress,
    reserved: new Set([...reservedPorts(context.home, app), ...Object.values(request.previous?.standbyPorts ?? {})]),
    isRunning: (key) => instanceRuns(paths.get(key)!, box.user),
  });
  for (const key of moved) context.logger.warn(`The port of ${app} ${key} was taken by another program; it now listens on ${ports[key]}.`);
  const standbyPorts = await assignStandbyPorts(op, plan, ports, request.previous?.standbyPorts ?? {}, retiredRuns(op, plan, otherSlot(slot)));

  const starting = await writeInstances(op, request, slot, paths, ports);
  writeArtifact(layout, artifact);
  // Saved before waiting, so a release that fails to start can still be seen, stopped and destroyed.
  const state = writeState(layout, { scale: { ...plan.scale }, ports, standbyPorts, stopped: false, routed: request.previous?.routed ?? false, slot, limits: box.limits });
  await pokeEmperor(emperor);
  const routed = await waitAndRoute(op, plan, { slot, ports, standbyPorts }, starting, state);

  const wanted = new Set(plan.instances.map((instance) => instance.key));
  const surplus = listVassals(emperor.vassals, app).filter((vassal) => vassal.slot === slot && !wanted.has(`${vassal.worker}.${vassal.index}`));
  const saved = writeState(layout, { ...state, routed });
  await stopVassals(op, surplus, { forget: true });
  removeLegacyRunDir(op); // an app stopped by an earlier version left its launchers there
  return saved;
}

/**
 * Writes the launchers (and container env files) of a release's instances, and their vassals
 * unless they run and may stay (start, scale; deploy when nothing changed). A running vassal that
 * must change is stopped first and written anew, never edited: uWSGI reloads an edited vassal in
 * place, in a master that already dropped to the app's user, so what only root can do (joining
 * cgroups, max-fd) would not happen again. The pid before the change tells the new process from
 * the old one.
 */
async function writeInstances(op: AppOperation, request: ReleaseRequest, slot: Slot, paths: ReadonlyMap<string, InstancePaths>, ports: Readonly<Record<string, number>>): Promise<StartingInstance[]> {
  const { app, emperor } = op;
  const box = boxOf(op);
  const { artifact, plan } = request;
  const isolation: Isolation = artifact.runtime.isolation ?? "user";
  const pathPrepend = resolvePathPrepend(artifact.runtime.path, artifact.runtime.workingDir);
  const cgroupProcs = releaseCgroup(box, slot);
  const decisions = plan.instances.map((instance) => {
    const files = paths.get(instance.key)!;
    const changed = writeInstanceFiles(instanceFiles(op, artifact, instance, files, portOf(instance, ports), pathPrepend, isolation));
    const vassal = instanceVassal(op, instance, files, isolation, cgroupProcs);
    const existing = readVassal(files.vassal);
    // A cron worker has no process between runs: its vassal, once there, is what runs.
    const write = existing === undefined || mustReplace(request.reload, existing, vassal, changed, () => instance.cron !== undefined || instanceRuns(files, box.user));
    const watch: StartingInstance = {
      app,
      key: instance.key,
      currentPid: () => readInstancePid(files, box.user)?.pid,
      log: files.log,
      ...(ports[instance.key] !== undefined && { port: ports[instance.key] }),
      vassal: files.vassal,
      emperorLog: emperor.log,
    };
    return { instance, files, vassal, existing, write, watch, owner: isolation === "container" ? rootOwner() : appOwner(box.user) };
  });
  const replaced = decisions.filter((d) => d.write && d.existing !== undefined);
  if (replaced.length > 0) {
    await stopVassals(
      op,
      replaced.map((d) => ({ file: d.files.vassal, worker: d.instance.worker, index: d.instance.index, slot })),
      { forget: false },
    );
  }
  const watched = decisions.map((d) => {
    if (!d.write) return d.watch;
    preparePidFile(d.files.pidFile, d.owner);
    const previousPid = readInstancePid(d.files, box.user)?.pid;
    writeNewVassal(d.files.vassal, d.vassal); // a vassal that ran was stopped and forgotten above
    return { ...d.watch, ...(previousPid !== undefined && { previousPid }) };
  });
  return watched.filter((_, i) => decisions[i]!.instance.cron === undefined); // nothing of a cron worker runs until its time
}

/** An instance's vassal: what the emperor runs, as which user, in which cgroups. */
function instanceVassal(op: AppOperation, instance: PlannedInstance, files: InstancePaths, isolation: Isolation, cgroupProcs: string[]): string {
  const box = boxOf(op);
  return renderVassal({
    app: op.app,
    worker: instance.worker,
    index: instance.index,
    socket: isolation === "container" ? files.rootSocket : files.socket,
    log: files.log,
    launcher: files.launcher,
    stopTimeoutSeconds: op.settings.stopTimeoutSeconds,
    cgroupProcs,
    ...(box.limits.openFiles !== undefined && { openFiles: box.limits.openFiles }),
    ...(isolation === "user" && box.user.dedicated && { user: { uid: box.user.uid, gid: box.user.gid } }),
    ...(instance.cron && { cron: instance.cron.schedule }),
  });
}

/**
 * Whether the live release already runs what this artifact would start: the same instances, each
 * running, with the same launcher (command, environment, ports), env file and vassal. A redeploy
 * that changes nothing then keeps it (see keepRelease) rather than starting the same processes beside it.
 */
export function runsAlready(op: AppOperation, artifact: BuildArtifact, plan: InstancePlan, live: DeployState): boolean {
  const { emperor, layout, app } = op;
  if (live.pending || live.stopped) return false;
  const box = boxOf(op);
  const running = listVassals(emperor.vassals, app);
  if (running.length !== plan.instances.length || running.some((vassal) => vassal.slot !== live.slot)) return false;
  const isolation: Isolation = artifact.runtime.isolation ?? "user";
  const pathPrepend = resolvePathPrepend(artifact.runtime.path, artifact.runtime.workingDir);
  const cgroupProcs = releaseCgroup(box, live.slot);
  return plan.instances.every((instance) => {
    if (instance.web && live.ports[instance.key] === undefined) return false;
    const files = instancePaths(emperor, layout, instance.worker, instance.index, live.slot);
    const wanted = instanceFiles(op, artifact, instance, files, portOf(instance, live.ports), pathPrepend, isolation);
    return (
      readVassal(files.vassal) === instanceVassal(op, instance, files, isolation, cgroupProcs) &&
      wanted.writes.every((file) => isCurrent(file.path, file.content, file.owner)) &&
      wanted.removes.every((path) => !existsSync(path)) &&
      instanceRuns(files, box.user)
    );
  });
}

/**
 * Keeps the live release of a redeploy that changed nothing (runsAlready): the artifact is
 * recorded as the app's, the route applied again (the app's domains may have changed), no process
 * is started or stopped.
 */
export async function keepRelease(op: AppOperation, artifact: BuildArtifact, plan: InstancePlan, live: DeployState): Promise<DeployState> {
  const standbyPorts = await assignStandbyPorts(op, plan, live.ports, live.standbyPorts ?? {}, retiredRuns(op, plan, otherSlot(live.slot)));
  writeArtifact(op.layout, artifact);
  const routed = await applyRoute(op, plan, { slot: live.slot, ports: live.ports, standbyPorts }, live.routed);
  return writeState(op.layout, { ...live, standbyPorts, routed });
}

/**
 * Whether an existing vassal is written anew: always on restart; on deploy when its launcher or
 * its own content changed or it does not run; on start and scale only when it is from before apps
 * had users (it runs as root: the next start moves it into its box).
 */
function mustReplace(reload: ReleaseRequest["reload"], existing: string, vassal: string, changed: boolean, runs: () => boolean): boolean {
  if (isLegacyVassal(existing)) return true;
  if (reload === "always") return true;
  if (reload === "never") return false;
  return changed || existing !== vassal || !runs();
}

/**
 * Waits for the instances, and routes. An app without a route serves nobody yet: it is routed
 * while its workers start (an nginx reload costs about as much as a small app's start), and
 * unrouted again if they do not. A routed app is switched only once they are up.
 */
async function waitAndRoute(op: AppOperation, plan: InstancePlan, routing: Routing, starting: readonly StartingInstance[], state: DeployState): Promise<boolean> {
  const { context, settings, app } = op;
  const early = state.routed ? undefined : applyRoute(op, plan, routing, false);
  early?.catch(() => undefined); // awaited below; this only marks it handled meanwhile
  try {
    await waitUntilRunning(starting, connectHost(context.bindAddress), (context.startTimeoutSeconds ?? settings.startTimeoutSeconds) * 1000, context.signal, op.emperor);
  } catch (error) {
    if (early && (await early.catch(() => false))) {
      await context.router.remove(app, context);
      writeState(op.layout, { ...state, routed: false });
    }
    throw error;
  }
  return early ?? applyRoute(op, plan, routing, state.routed);
}

/**
 * The ports of the other slot, for the release that will start beside this one: the previous
 * ones while they are still usable (`running`: they are the draining or retired old release's
 * own), so the router's configuration does not change from one release to the next.
 */
async function assignStandbyPorts(op: AppOperation, plan: InstancePlan, live: Readonly<Record<string, number>>, previous: Readonly<Record<string, number>>, running: (key: string) => boolean): Promise<Record<string, number>> {
  const { ports } = await assignPorts({
    keys: portKeys(plan.instances),
    previous,
    bindAddress: op.context.bindAddress,
    reserved: new Set([...reservedPorts(op.context.home, op.app), ...Object.values(live)]),
    isRunning: running,
  });
  return ports;
}

/** Whether the instance a switch retired from `slot` still runs (see retireVassals): the port it holds is still its own. */
function retiredRuns(op: AppOperation, plan: InstancePlan, slot: Slot): (key: string) => boolean {
  return (key) => {
    const instance = plan.instances.find((candidate) => candidate.key === key);
    return instance !== undefined && instanceRuns(instancePaths(op.emperor, op.layout, instance.worker, instance.index, slot), userOf(op));
  };
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
  const box = boxOf(op);
  await ensureEmperor(context.home, emperorSettingsOf(settings), context);
  const slot = otherSlot(live.slot);
  // The release the last switch retired from that slot must be gone before vassals of the same
  // names are written (settled first: its sessions are then no longer the app's to sweep).
  await settleRetired(op, slot);
  await sweepOrphans(appSessions(layout), box.user);
  // What an interrupted deploy left in that slot is not the release being deployed now.
  await stopVassals(op, listVassals(emperor.vassals, app).filter((vassal) => vassal.slot === slot), { forget: true });

  const paths = new Map(plan.instances.map((instance) => [instance.key, instancePaths(emperor, layout, instance.worker, instance.index, slot)]));
  // The standby ports the router already names, unless another program took one.
  const { ports } = await assignPorts({
    keys: portKeys(plan.instances),
    previous: live.standbyPorts ?? {},
    bindAddress: context.bindAddress,
    reserved: new Set([...reservedPorts(context.home, app), ...Object.values(live.ports)]),
    isRunning: () => false,
  });
  const starting = await writeInstances(op, { artifact, plan, reload: "always" }, slot, paths, ports);
  await pokeEmperor(emperor);
  testCrashPoint(context.env, "after-vassal");
  try {
    await waitUntilRunning(starting, connectHost(context.bindAddress), (context.startTimeoutSeconds ?? settings.startTimeoutSeconds) * 1000, context.signal, op.emperor);
    const upstreams = webUpstreams(op, plan, ports);
    if (upstreams.length > 0 && context.healthGate) await context.healthGate({ upstreams });
  } catch (error) {
    await stopVassals(op, listVassals(emperor.vassals, app).filter((vassal) => vassal.slot === slot), { forget: true });
    throw error;
  }
  writePendingArtifact(layout, artifact);
  const pending = writeState(layout, { ...live, pending: { slot, ports, scale: { ...plan.scale }, limits: box.limits } });
  testCrashPoint(context.env, "before-switch");
  return finishSwitch(op, artifact, plan, pending, settings.drainSeconds * 1000);
}

/**
 * Routes to the pending slot, records it as live, then lets requests already sent to the old
 * instances finish (`drainMs`) before handing them to the emperor to stop (retireVassals). Safe to
 * run again after a crash: each step only moves further toward the pending release.
 */
async function finishSwitch(op: AppOperation, artifact: BuildArtifact, plan: InstancePlan, state: DeployState, drainMs: number): Promise<DeployState> {
  const { context, layout, emperor, app } = op;
  const pending = state.pending!;
  // The old release's ports become the standby ones: the router's configuration stays as it is.
  const standbyPorts = await assignStandbyPorts(op, plan, pending.ports, state.ports, () => true);
  const routed = await applyRoute(op, plan, { slot: pending.slot, ports: pending.ports, standbyPorts }, state.routed);
  const switchedAt = Date.now();
  testCrashPoint(context.env, "after-switch");
  writeArtifact(layout, artifact);
  const saved = writeState(layout, { scale: pending.scale, ports: pending.ports, standbyPorts, stopped: false, routed, slot: pending.slot, ...(pending.limits && { limits: pending.limits }) });
  rmSync(pendingArtifactFile(layout), { force: true });
  const old = listVassals(emperor.vassals, app).filter((vassal) => vassal.slot !== pending.slot);
  const newPorts = new Set(Object.values(pending.ports));
  const oldPorts = new Set(Object.values(state.ports).filter((port) => !newPorts.has(port)));
  if (old.length > 0 && drainMs > 0) {
    // Requests that chose the old slot just before the switch connect first, then the drain counts them.
    await context.router.settle?.(context);
    await drainConnections(oldPorts, drainMs, { since: switchedAt, ...(context.signal && { signal: context.signal }) });
  }
  await retireVassals(op, old);
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
    const up = plan?.instances.every((instance) => instance.cron !== undefined || instanceRuns(instancePaths(emperor, layout, instance.worker, instance.index, pending.slot), userOf(op))) ?? false;
    if (artifact && plan && up) {
      context.logger.warn(`A switch of ${app} to build ${artifact.buildId} was interrupted; finishing it.`);
      await finishSwitch(op, artifact, plan, state, 0);
      return true;
    }
    context.logger.warn(`A switch of ${app} was interrupted before its new release was up; the live release (build ${stored.artifact.buildId}) keeps the route.`);
    if (state.routed && !state.stopped) {
      const plan = planInstances(stored.artifact, state.scale, false);
      const standbyPorts = await assignStandbyPorts(op, plan, state.ports, state.standbyPorts ?? pending.ports, () => false);
      await applyRoute(op, plan, { slot: state.slot, ports: state.ports, standbyPorts }, true);
      state = { ...state, standbyPorts };
    }
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

/** Where an app's web instances listen: the live slot and its ports, and the other slot's ports. */
export interface Routing {
  readonly slot: Slot;
  readonly ports: Readonly<Record<string, number>>;
  readonly standbyPorts: Readonly<Record<string, number>>;
}

/**
 * Routes the app's host names to its web instances (and its static directory); removes the route
 * when there is nothing to route. Both slots are given to the router (RouteSpec.slots): a switch
 * changes only which one is live, and the router's configuration is reloaded only when the ports
 * themselves change (a new app, a scale, a port another program took).
 */
export async function applyRoute(op: AppOperation, plan: InstancePlan, routing: Routing, routedBefore: boolean): Promise<boolean> {
  const { context, app } = op;
  const host = connectHost(context.bindAddress);
  const web = plan.instances.filter((instance) => instance.web);
  const upstreamsOf = (ports: Readonly<Record<string, number>>) => web.map((instance) => ({ host, port: ports[instance.key]! }));
  const upstreams = upstreamsOf(routing.ports);
  if (upstreams.length === 0 && plan.staticDir === undefined) {
    if (routedBefore) await context.router.remove(app, context);
    return false;
  }
  const standby = upstreamsOf(routing.standbyPorts);
  const slots: RouteSlots | undefined =
    upstreams.length > 0 && standby.every((u) => u.port !== undefined)
      ? { live: routing.slot, a: routing.slot === "a" ? upstreams : standby, b: routing.slot === "a" ? standby : upstreams }
      : undefined;
  const hosts = [...new Set([`${app}.localhost`, ...context.domains])];
  await context.router.ensureRunning(context);
  await context.router.apply({ app, hosts, upstreams, ...(plan.staticDir !== undefined && { staticDir: plan.staticDir }), ...(slots && { slots }) }, context);
  return true;
}

/**
 * Removes vassals and waits until their workers are gone. With `forget` (scale down, a worker
 * dropped by a redeploy) their launchers, pid files and env files go too; stop keeps them. Pids
 * come from files the app may write: each is signalled only if it is the app's (signalInstance).
 */
export async function stopVassals(op: AppOperation, vassals: readonly VassalRef[], options: { forget: boolean }): Promise<void> {
  if (vassals.length === 0) return;
  const user = userOf(op);
  const files = vassals.map((vassal) => instancePaths(op.emperor, op.layout, vassal.worker, vassal.index, vassal.slot));
  const sessions = instanceSessions(op, files);
  const running = files.flatMap((file) => readInstancePid(file, user) ?? []);
  await removeVassals(op, vassals, files);
  await awaitStopped(op, files, sessions, running, options);
}

type VassalRef = { readonly file: string; readonly worker: string; readonly index: number; readonly slot: Slot };

/** Removes vassals: the emperor, woken at once, stops their workers (SIGTERM to each process group, SIGKILL after reload-mercy). */
async function removeVassals(op: AppOperation, vassals: readonly VassalRef[], files: readonly InstancePaths[]): Promise<void> {
  for (const vassal of vassals) removeVassal(vassal.file);
  stopCronRuns(files, userOf(op)); // uWSGI leaves a cron run going when its vassal goes
  await pokeEmperor(op.emperor);
}

/**
 * Hands the old release of a switch to the emperor: its vassals are removed and nothing waits
 * for its workers here (uWSGI lets a vassal go about a second after it stopped). Their files stay
 * until settleRetired, which whatever writes vassals in their slot again runs first. Vassals from
 * before apps had users (launchers elsewhere, see currentPidFile) are stopped and waited for.
 */
async function retireVassals(op: AppOperation, vassals: readonly VassalRef[]): Promise<void> {
  const legacy = vassals.filter((vassal) => isLegacyVassal(readVassal(vassal.file) ?? ""));
  await stopVassals(op, legacy, { forget: true });
  const retired = vassals.filter((vassal) => !legacy.includes(vassal));
  await removeVassals(op, retired, retired.map((vassal) => instancePaths(op.emperor, op.layout, vassal.worker, vassal.index, vassal.slot)));
}

/**
 * Waits until the instances a switch retired from `slot` (files left, vassal gone) are stopped and
 * no longer listed by the emperor, then forgets their files: a vassal written under the name of
 * one the emperor still lists could be missed. Usually long done: then it costs a directory read
 * and, when there is something to forget, one poke.
 */
export async function settleRetired(op: AppOperation, slot: Slot): Promise<void> {
  const live = new Set(listVassals(op.emperor.vassals, op.app).map((vassal) => vassal.file));
  const files = instanceStems(op.layout.runDir)
    .filter((stem) => stem.slot === slot)
    .map((stem) => instancePaths(op.emperor, op.layout, stem.worker, stem.index, slot))
    .filter((file) => !live.has(file.vassal));
  if (files.length === 0) return;
  const user = userOf(op);
  await awaitStopped(op, files, instanceSessions(op, files), files.flatMap((file) => readInstancePid(file, user) ?? []), { forget: true });
}

/** The instances that have files (launcher, pid file, env file) in a run directory. */
function instanceStems(runDir: string): Array<{ worker: string; index: number; slot: Slot }> {
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch {
    return [];
  }
  const stems = new Map<string, { worker: string; index: number; slot: Slot }>();
  for (const name of names) {
    const match = INSTANCE_FILE.exec(name);
    if (match) stems.set(`${match[1]}.${match[2]}${match[3] ?? ""}`, { worker: match[1]!, index: Number(match[2]), slot: match[3] ? "b" : "a" });
  }
  return [...stems.values()];
}

/** `<worker>.<n>[.b].sh|pid|env` (see instancePaths); a cron worker's `.lock` is not an instance's own. */
const INSTANCE_FILE = /^([A-Za-z][A-Za-z0-9_-]*)\.([1-9][0-9]*)(\.b)?\.(?:sh|pid|env)$/;

function instanceSessions(op: AppOperation, files: readonly InstancePaths[]): InstanceSession[] {
  return files.flatMap((file) => {
    const found = readPidFile(currentPidFile(file));
    return found === undefined ? [] : [{ sid: found.pid, instance: `${op.app}_${file.stem}`, trusted: found.trusted }];
  });
}

/**
 * Waits until removed vassals' workers are gone and the emperor lists them no more (killing what
 * outlives the stop timeout), sweeps what they left, then removes their root sockets and, with
 * `forget`, their launchers, pid files and env files.
 */
async function awaitStopped(op: AppOperation, files: readonly InstancePaths[], sessions: readonly InstanceSession[], running: readonly InstancePid[], options: { forget: boolean }): Promise<void> {
  const user = userOf(op);
  await waitUntilStopped(op.emperor, running, files.map((file) => basename(file.vassal)), op.settings.stopTimeoutSeconds * 1000 + 3_000, killer(user));
  await sweepOrphans(sessions, user); // a vassal that died abruptly leaves its worker's children behind
  for (const file of files) {
    // uWSGI removes its socket itself (vacuum) unless it was killed; one left in the app's own directory is bound over next time.
    rmSync(file.rootSocket, { force: true });
    if (options.forget) for (const path of [file.launcher, file.pidFile, file.envFile, file.legacy.launcher, file.legacy.pidFile]) rmSync(path, { force: true });
  }
  removeLegacyRunDir(op);
}

/** How a stop kills what outlived its time: the process group, only when the pid may be signalled (see signalInstance). */
export const killer =
  (user: AppUser | undefined) =>
  (target: InstancePid, signal: NodeJS.Signals): void => {
    signalInstance(user, target, signal, true);
  };

/** Launchers and pid files from before apps had users (`deploy/run/`) go once no vassal of the app runs from them. */
export function removeLegacyRunDir(op: AppOperation): void {
  const legacy = listVassals(op.emperor.vassals, op.app).some((vassal) => {
    const content = readVassal(vassal.file);
    return content !== undefined && isLegacyVassal(content);
  });
  if (!legacy) rmSync(op.layout.legacyRunDir, { recursive: true, force: true });
}

/** The files an instance runs from: written (with their owner), and removed. */
interface InstanceFiles {
  readonly writes: ReadonlyArray<{ readonly path: string; readonly content: string; readonly owner: FileOwner | undefined }>;
  readonly removes: readonly string[];
}

/**
 * An instance's launcher (and, for a container, its env file). As the app's user: the launcher exports HOME, USER, LOGNAME and TMPDIR of the app's
 * user, then its merged environment, and is the app's own (0600: it holds the app's secrets). As
 * a container: the launcher, run as root, exports no variable of the app; they go to the env file
 * (root 0600), which the container gets through HOP3_ENV_FILE, with the limits as HOP3_LIMIT_*.
 */
function instanceFiles(op: AppOperation, artifact: BuildArtifact, instance: PlannedInstance, files: InstancePaths, port: number | undefined, pathPrepend: readonly string[], isolation: Isolation): InstanceFiles {
  const { context } = op;
  const box = boxOf(op);
  const assigned = { BIND_ADDRESS: context.bindAddress, HOP3_INSTANCE: `${op.app}_${files.stem}`, ...(port !== undefined && { PORT: String(port) }) };
  const { env } = mergeWorkerEnv({ artifact: artifact.runtime.env, app: context.appEnv, user: context.userEnv, assigned });
  const command =
    instance.native === undefined
      ? instance.command
      : nativeCommand(findProgram(op.settings.uwsgi, context.env) ?? op.settings.uwsgi, instance.native.worker, instance.native.target, context.bindAddress, artifact.runtime.workingDir);
  const common = { app: op.app, worker: instance.worker, index: instance.index, command, workingDir: artifact.runtime.workingDir, pidFile: files.pidFile, setpriv: box.setpriv };
  if (isolation === "container") {
    const appVariables = Object.fromEntries(Object.entries(env).filter(([name]) => !(ASSIGNED_NAMES as readonly string[]).includes(name)));
    const exported = { PATH: SYSTEM_PATH, ...assigned, HOP3_ENV_FILE: files.envFile, ...limitVariables(box.limits) };
    return {
      writes: [
        { path: files.envFile, content: renderEnvFile(appVariables), owner: rootOwner() },
        { path: files.launcher, content: renderContainerLauncher({ ...common, env: exported, envProgram: box.env }), owner: rootOwner() },
      ],
      removes: [],
    };
  }
  const base = appProcessEnv(box.user, context.env);
  const identity = { HOME: base.HOME!, USER: base.USER!, LOGNAME: base.LOGNAME!, TMPDIR: base.TMPDIR! };
  const processLimit = processLimitFallback(box);
  const spec = { ...common, env: { ...identity, ...env }, pathPrepend, ...(processLimit !== undefined && { processLimit }) };
  let content: string;
  if (instance.cron === undefined) content = renderLauncher(spec);
  else {
    const lockFile = cronLockFile(op.layout, instance.key);
    preparePidFile(lockFile, appOwner(box.user)); // the app's own, made by root: runDir is root's
    content = renderCronLauncher({ ...spec, schedule: instance.cron.schedule, lockFile, flock: systemFlock() });
  }
  // An env file is from a container release of the app, if any: root's, in root's directory.
  return { writes: [{ path: files.launcher, content, owner: appOwner(box.user) }], removes: [files.envFile] };
}

/** Writes an instance's files; true when one changed (or is new). */
function writeInstanceFiles(wanted: InstanceFiles): boolean {
  for (const path of wanted.removes) rmSync(path, { force: true });
  return wanted.writes.map((file) => writeOwnedFile(file.path, file.content, file.owner)).some(Boolean);
}

/** The limits as a container's run command reads them (each only when set). */
export function limitVariables(limits: AppLimits): Record<string, string> {
  return {
    ...(limits.memoryBytes !== undefined && { HOP3_LIMIT_MEMORY: String(limits.memoryBytes) }),
    ...(limits.cpus !== undefined && { HOP3_LIMIT_CPUS: String(limits.cpus) }),
    ...(limits.processes !== undefined && { HOP3_LIMIT_PROCESSES: String(limits.processes) }),
    ...(limits.openFiles !== undefined && { HOP3_LIMIT_OPEN_FILES: String(limits.openFiles) }),
  };
}
