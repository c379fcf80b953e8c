import { existsSync, readdirSync, rmdirSync, rmSync, statSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import {
  findProgram,
  coreErrorCatalog,
  detectCgroups,
  Hop3Error,
  isValidAppName,
  removeCgroups,
  runAsUser,
  validateArtifact,
  type AppUser,
  type BuildArtifact,
  type DeployContext,
  type Deployer,
  type DeploymentStatus,
  isAlive,
} from "@hop3/core";
import { runBeforeRun } from "./before-run.js";
import { limitWarnings } from "./box.js";
import { uwsgiError } from "./errors.js";
import { checkContainerEnv } from "./launcher.js";
import { maintainLogs } from "./maintenance.js";
import { emperorSettingsOf, resolveUwsgiOptions, type UwsgiDeployerOptions } from "./options.js";
import { planInstances, refusedWorkers, type InstancePlan } from "./plan.js";
import { checkPlugins } from "./wsgi.js";
import { appSessions, sweepOrphans } from "./orphans.js";
import { isOwnedPid, readPidFile, signalInstance, type InstancePid } from "./pids.js";
import { appOperation, applyRelease, boxOf, keepRelease, killer, repairInterruptedSwitch, replaceRelease, runsAlready, settleRetired, stopVassals, userOf, type AppOperation } from "./release.js";
import { otherSlot } from "./layout.js";
import { readStoredApp, writeState, type StoredApp } from "./state.js";
import { logFiles, serviceStatus, startService, stopService } from "./services.js";
import { appStatus } from "./status.js";
import { listVassals } from "./vassal.js";
import { waitUntilStopped } from "./wait.js";
import { ASSIGNED_NAMES, mergeWorkerEnv, resolvePathPrepend } from "./worker-env.js";

/** The deployer's name in a distribution. */
export const DEPLOYER_NAME = "uwsgi";


/**
 * Creates the uWSGI deployer: each worker instance of an artifact becomes a vassal of the one
 * uWSGI emperor of HOP3_HOME, web instances get their own port and are routed by `context.router`.
 * Options are validated here, at once (OPTIONS_INVALID names the bad one).
 *
 * @example
 * const deployer = createUwsgiDeployer({ startTimeoutSeconds: 60 });
 * await deployer.deploy(artifact, context);
 */
export function createUwsgiDeployer(options?: UwsgiDeployerOptions): Deployer {
  const settings = resolveUwsgiOptions(options);
  const queues = new Map<string, Promise<unknown>>();
  // One operation per app at a time in this process: a stop racing a deploy would leave either half done.
  const operation = (context: DeployContext, app: string): AppOperation => {
    checkAppName(app);
    checkBindAddress(context.bindAddress);
    return appOperation(app, context, settings);
  };
  // Each operation first puts right what an interrupted deploy left (see repairInterruptedSwitch).
  const serialize = async <T>(context: DeployContext, app: string, action: (op: AppOperation) => Promise<T>, repair = true): Promise<T> => {
    const op = operation(context, app);
    const key = `${context.home}\0${app}`;
    const run = (queues.get(key) ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        if (repair) await repairInterruptedSwitch(op);
        return action(op);
      });
    queues.set(key, run);
    return run.finally(() => {
      if (queues.get(key) === run) queues.delete(key);
    });
  };

  return {
    apiVersion: 1,
    name: DEPLOYER_NAME,
    description: "Runs each worker under the uWSGI emperor of HOP3_HOME (respawned when it exits), routed by the Hop3 router",
    // Whatever its kind: command workers, or commands that each run a container of the image.
    takes: ["processes", "container-image"],
    deploy: async (artifact, context) => {
      const checked = validateArtifact(artifact, "the deploy request");
      return serialize(context, checked.appName, (op) => deploy(op, checked));
    },
    // What deploy would refuse, before the build: the workers, their plugins, uWSGI itself.
    check: (preview) => [
      ...(findProgram(settings.uwsgi, preview.env) ? [] : [uwsgiError("UWSGI_NOT_INSTALLED", `${settings.uwsgi} was not found on PATH; it is needed to run the app's workers.`, { details: { program: settings.uwsgi } })]),
      ...refusedWorkers(preview.workers),
    ],
    start: (app, context) => serialize(context, app, (op) => start(op)),
    stop: (app, context) => serialize(context, app, (op) => stop(op)),
    restart: (app, context) => serialize(context, app, (op) => restart(op)),
    scale: (app, context) => serialize(context, app, (op) => scale(op)),
    destroy: (app, context) => serialize(context, app, (op) => destroy(op), false),
    // Read-only: answers at once, even while a deploy of the app is under way.
    status: async (app, context) => appStatus(operation(context, app)),
    logFiles: async (app, context) => {
      checkAppName(app);
      return logFiles(context.home, app);
    },
    startService: (context) => startService(context, { ...emperorSettingsOf(settings), startTimeoutSeconds: settings.startTimeoutSeconds }),
    stopService: (context) => stopService(context),
    serviceStatus: (context) => serviceStatus(context),
    maintain: (context) => maintainLogs(context),
  };
}

async function deploy(op: AppOperation, artifact: BuildArtifact): Promise<DeploymentStatus> {
  const { context, settings, app } = op;
  checkWorkingDir(artifact);
  const plan = planInstances(artifact, context.scale, false);
  // Checked at plan time too (see checkRelease), except where only the build knows the workers (Nix).
  for (const worker of new Set(plan.instances.flatMap((instance) => (instance.native ? [instance.native.worker] : [])))) checkPlugins(worker);
  for (const note of plan.notes) context.logger.warn(note);
  // Every value is checked before anything changes: a bad variable never stops a running release.
  const { env, overridden } = mergeWorkerEnv({
    artifact: artifact.runtime.env,
    app: context.appEnv,
    user: context.userEnv,
    assigned: { BIND_ADDRESS: context.bindAddress },
  });
  for (const name of overridden) context.logger.warn(`${name} is assigned by Hop3; the value set for the app is ignored.`);
  if (artifact.runtime.isolation === "container") checkContainerEnv(Object.fromEntries(Object.entries(env).filter(([name]) => !(ASSIGNED_NAMES as readonly string[]).includes(name))));
  const pathPrepend = resolvePathPrepend(artifact.runtime.path, artifact.runtime.workingDir);
  const previous = readPreviousRelease(op);

  const box = boxOf(op);
  for (const warning of limitWarnings(box)) context.logger.warn(warning);
  if (artifact.runtime.beforeRun?.length) {
    const spec = {
      app,
      commands: artifact.runtime.beforeRun,
      env,
      pathPrepend,
      workingDir: artifact.runtime.workingDir,
      timeoutMs: settings.beforeRunTimeoutSeconds * 1000,
    };
    await runBeforeRun(spec, context, box.user);
  }
  if (previous && runsAlready(op, artifact, plan, previous.state)) {
    // The same processes would start beside the same ones: the running release is kept as it is.
    await keepRelease(op, artifact, plan, previous.state);
    context.logger.info(`Deployed ${app}: nothing changed since build ${previous.artifact.buildId}; its ${plan.instances.length} process(es) keep running.`);
    return appStatus(op);
  }
  if (previous && !previous.state.stopped) {
    // A running release keeps serving until the new one has passed its health gate beside it; a
    // new one that fails is stopped there (replaceRelease): the running one is kept, never restarted.
    try {
      await replaceRelease(op, { artifact, plan, live: previous.state });
    } catch (error) {
      if (!Hop3Error.is(error)) throw error;
      throw withNote(error, `The running release (build ${previous.artifact.buildId}) was left serving; the new one was stopped.`);
    }
    context.logger.info(`Deployed ${app}: ${plan.instances.length} process(es) under the uWSGI emperor, switched from build ${previous.artifact.buildId}.`);
    return appStatus(op);
  }
  try {
    await applyRelease(op, { artifact, plan, ...(previous && { previous: previous.state }), reload: "changed" });
  } catch (error) {
    throw await stopFailedRelease(op, error);
  }
  context.logger.info(`Deployed ${app}: ${plan.instances.length} process(es) under the uWSGI emperor.`);
  return appStatus(op);
}

/**
 * A release of an app that had none serving (a first deploy, or a stopped app) that does not start
 * is not left crash-looping: its workers are stopped, their logs kept.
 */
async function stopFailedRelease(op: AppOperation, error: unknown): Promise<unknown> {
  if (!Hop3Error.is(error)) return error;
  try {
    const stored = readStoredApp(op.context.home, op.app);
    if (stored?.state.routed) await op.context.router.remove(op.app, op.context);
    await stopVassals(op, listVassals(op.emperor.vassals, op.app), { forget: false });
    if (stored) writeState(op.layout, { ...stored.state, stopped: true, routed: false });
    return withNote(error, "Its workers were stopped; the logs are kept.");
  } catch (stopError) {
    return withNote(error, `Stopping its workers failed too: ${(stopError as Error).message}`);
  }
}

async function start(op: AppOperation): Promise<DeploymentStatus> {
  const stored = requireDeployed(op);
  const plan = planInstances(stored.artifact, stored.state.scale, false);
  checkWorkingDir(stored.artifact);
  await applyRelease(op, { artifact: stored.artifact, plan, previous: stored.state, reload: "never" });
  return appStatus(op);
}

async function stop(op: AppOperation): Promise<DeploymentStatus> {
  const stored = readStoredApp(op.context.home, op.app);
  if (stored === undefined) return appStatus(op); // never deployed: absent
  if (stored.state.routed) await op.context.router.remove(op.app, op.context);
  await stopVassals(op, listVassals(op.emperor.vassals, op.app), { forget: false });
  await settleRetired(op, otherSlot(stored.state.slot)); // a stopped app runs nothing, not even the release a switch just retired
  writeState(op.layout, { ...stored.state, stopped: true, routed: false });
  return appStatus(op);
}

/**
 * New processes for every instance, started beside the running ones like a deploy (so changed
 * config values apply without a gap). A stopped app is started.
 */
async function restart(op: AppOperation): Promise<DeploymentStatus> {
  const stored = requireDeployed(op);
  if (stored.state.stopped) return start(op);
  const plan = planInstances(stored.artifact, stored.state.scale, false);
  checkWorkingDir(stored.artifact);
  await replaceRelease(op, { artifact: stored.artifact, plan, live: stored.state });
  return appStatus(op);
}

async function scale(op: AppOperation): Promise<DeploymentStatus> {
  const stored = requireDeployed(op);
  const plan: InstancePlan = planInstances(stored.artifact, op.context.scale, true);
  if (stored.state.stopped) {
    writeState(op.layout, { ...stored.state, scale: { ...plan.scale } });
    return appStatus(op);
  }
  await applyRelease(op, { artifact: stored.artifact, plan, previous: stored.state, reload: "never" });
  return appStatus(op);
}

/**
 * Removes everything the deployer made for the app: route, vassals, processes, launchers, logs,
 * state, its socket directory and its cgroups. Its data directory and user are the CLI's to remove.
 */
async function destroy(op: AppOperation): Promise<void> {
  const { layout, context } = op;
  await context.router.remove(op.app, context);
  await stopVassals(op, listVassals(op.emperor.vassals, op.app), { forget: true });
  for (const slot of ["a", "b"] as const) await settleRetired(op, slot);
  // Instances whose vassal was already gone but whose process was not (killed emperor...); a pid
  // the app wrote is believed only when the process is the app's.
  const user = userOf(op);
  const leftovers = [...pidFiles(layout.runDir), ...pidFiles(layout.legacyRunDir)]
    .flatMap((file) => readPidFile(file) ?? [])
    .filter((target: InstancePid) => isAlive(target.pid) && isOwnedPid(target, user));
  for (const target of leftovers) signalInstance(user, target, "SIGTERM", true);
  await waitUntilStopped(op.emperor, leftovers, [], op.settings.stopTimeoutSeconds * 1000, killer(user));
  await sweepOrphans(appSessions(layout), user);
  for (const dir of [layout.deployDir, layout.runDir, layout.logsDir]) rmSync(dir, { recursive: true, force: true });
  await removeSocketDir(op, user);
  for (const file of listDir(op.emperor.sockets).filter((name) => name.startsWith(`${op.app}_`))) rmSync(join(op.emperor.sockets, file), { force: true });
  if (user?.dedicated) removeCgroups(detectCgroups(), user.name);
  removeIfEmpty(layout.appDir); // other plugins' files (a GC root...) and the app's data are not the deployer's
  context.logger.info(`Destroyed ${op.app}: no process, vassal, route or state left.`);
}

/**
 * The app's socket directory is its own: what is left in it (a socket of a killed vassal) is
 * removed as the app's user, never by root following names the app chose; root then removes the
 * empty directory from its own.
 */
async function removeSocketDir(op: AppOperation, user: AppUser | undefined): Promise<void> {
  const dir = op.layout.socketDir;
  if (!existsSync(dir) || removeIfEmpty(dir)) return;
  if (user?.dedicated) {
    const run = runAsUser(user, { env: op.context.env, logger: op.context.logger, signal: op.context.signal });
    try {
      await run("find", [dir, "-mindepth", "1", "-delete"], { cwd: "/", purpose: `emptying ${dir}` });
    } catch (error) {
      op.context.logger.warn(`${dir} could not be emptied: ${(error as Error).message}`);
    }
    if (!removeIfEmpty(dir)) op.context.logger.warn(`${dir} is not empty; it was left in place.`);
  } else {
    rmSync(dir, { recursive: true, force: true }); // no user of its own: every file in it is Hop3's user's
  }
}

function requireDeployed(op: AppOperation): StoredApp {
  const stored = readStoredApp(op.context.home, op.app);
  if (stored === undefined) throw uwsgiError("UWSGI_APP_NOT_DEPLOYED", `${op.app} has not been deployed with the uWSGI deployer (nothing in ${op.layout.deployDir}).`, { details: { app: op.app } });
  return stored;
}

/** A broken state file must not block the deploy that would fix it. */
function readPreviousRelease(op: AppOperation): StoredApp | undefined {
  try {
    return readStoredApp(op.context.home, op.app);
  } catch (error) {
    op.context.logger.warn(`Ignoring the unreadable previous state of ${op.app}: ${(error as Error).message}`);
    return undefined;
  }
}

function checkAppName(app: string): void {
  if (!isValidAppName(app)) {
    throw new Hop3Error({ code: "APP_NAME_INVALID", message: `${JSON.stringify(app)} is not a valid app name.`, hint: coreErrorCatalog.APP_NAME_INVALID.hint, details: { app } });
  }
}

function checkBindAddress(address: string): void {
  if (isIP(address) === 0) throw uwsgiError("UWSGI_BIND_ADDRESS_INVALID", `${JSON.stringify(address)} is not an IP address to bind web workers to.`, { details: { bindAddress: address } });
}

function checkWorkingDir(artifact: BuildArtifact): void {
  const dir = artifact.runtime.workingDir;
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok || !dir.startsWith("/")) {
    throw uwsgiError("UWSGI_WORKING_DIR_MISSING", `The working directory of ${artifact.appName} (build ${artifact.buildId}), ${dir}, is not an existing absolute directory.`, {
      details: { app: artifact.appName, workingDir: dir },
    });
  }
}

/** The error with what the deployer did about it, in words; the outcome itself is the contract's (Deployer). */
function withNote(error: Hop3Error, note: string): Hop3Error {
  return new Hop3Error({ code: error.code, message: `${error.message}\n${note}`, hint: error.hint, cause: error.cause, details: error.details });
}

function pidFiles(dir: string): string[] {
  return listDir(dir)
    .filter((file) => file.endsWith(".pid"))
    .map((file) => join(dir, file));
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** True when the directory was removed (it was empty). */
function removeIfEmpty(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false; // not empty, or already gone
  }
}
