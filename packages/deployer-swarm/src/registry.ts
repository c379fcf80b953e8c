import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import {
  appProcessEnv,
  commandLine,
  ensureDir,
  ensureServiceUser,
  findFreePort,
  findProgram,
  isAlive,
  isPortInUse,
  prepareHome,
  privilegeDrop,
  readPid,
  runsAsRoot,
  waitUntil,
  withLockFile,
  writeFileAtomic,
  type OperationContext,
  type ServiceStatus,
  z,
} from "@hop3/core";
import { swarmError } from "./errors.js";
import { swarmDir } from "./runner.js";

/** The name `hop3 server` shows for Hop3's registry. */
export const REGISTRY_SERVICE_NAME = "Swarm registry";
/** Debian's registry (package docker-registry): `docker-registry serve <config>`. */
export const REGISTRY_PROGRAM = "docker-registry";
/** The system user it runs as, when Hop3 runs as root: `<prefix>_registry`. */
const SERVICE = "registry";
const START_TIMEOUT_MS = 30_000;

/**
 * Where Hop3's registry keeps everything, under `<HOP3_HOME>/swarm/registry/`: the directory and
 * its files root's, the image storage the registry user's alone.
 */
export interface RegistryLayout {
  readonly root: string;
  /** The config Hop3 writes at each start (no secret in it). */
  readonly config: string;
  /** Blobs and manifests: the registry user's, 0700. */
  readonly data: string;
  /** `{ port, stopped? }`: the port is chosen once, since every image the swarm runs is named by it. */
  readonly stateFile: string;
  readonly pidFile: string;
  readonly log: string;
  readonly lockFile: string;
}

export function registryLayout(home: string): RegistryLayout {
  const root = join(swarmDir(home), "registry");
  return {
    root,
    config: join(root, "config.yml"),
    data: join(root, "data"),
    stateFile: join(root, "registry.json"),
    pidFile: join(root, "registry.pid"),
    log: join(root, "registry.log"),
    lockFile: join(root, ".lock"),
  };
}

const RegistryStateSchema = z.object({ port: z.number().int().min(1).max(65535), stopped: z.boolean().optional() }).strict();
type RegistryState = z.infer<typeof RegistryStateSchema>;

function readState(layout: RegistryLayout): RegistryState | undefined {
  if (!existsSync(layout.stateFile)) return undefined;
  try {
    return RegistryStateSchema.parse(JSON.parse(readFileSync(layout.stateFile, "utf8")));
  } catch (error) {
    throw swarmError("SWARM_REGISTRY_START_FAILED", `${layout.stateFile} is not Hop3's registry state: ${(error as Error).message}.`, { cause: error, details: { file: layout.stateFile } });
  }
}

const writeState = (layout: RegistryLayout, state: RegistryState): void => writeFileAtomic(layout.stateFile, `${JSON.stringify(state)}\n`, 0o644);

/** `127.0.0.1:<port>` of Hop3's registry of this home, once it was ever started; undefined before. */
export function ownRegistryAddress(home: string): string | undefined {
  const state = readState(registryLayout(home));
  return state === undefined ? undefined : `127.0.0.1:${state.port}`;
}

/** The registry process of this layout: alive, and serving this layout's config. */
export function registryPid(layout: RegistryLayout): number | undefined {
  const pid = readPid(layout.pidFile);
  if (pid === undefined || !isAlive(pid)) return undefined;
  try {
    const args = commandLine(pid);
    return args.includes("serve") && args.at(-1) === layout.config ? pid : undefined;
  } catch {
    return undefined; // gone meanwhile
  }
}

/**
 * Starts Hop3's registry unless it runs, and returns its address: Debian's `docker-registry serve`,
 * detached so it outlives this process, on 127.0.0.1 only (the engine pushes to a loopback
 * registry over HTTP without an insecure-registry setting), as its own system user (the user
 * running Hop3 when that is not root), storing under HOP3_HOME. Two callers at once start one.
 */
export async function ensureRegistry(context: OperationContext): Promise<{ address: string; pid: number; started: boolean }> {
  const layout = registryLayout(context.home);
  const running = registryPid(layout);
  const known = readState(layout);
  if (running !== undefined && known !== undefined && !known.stopped) return { address: `127.0.0.1:${known.port}`, pid: running, started: false };
  const program = findProgram(REGISTRY_PROGRAM, { PATH: `${context.env.PATH ?? ""}:/usr/bin:/usr/sbin` });
  if (program === undefined) {
    throw swarmError("SWARM_REGISTRY_START_FAILED", `${REGISTRY_PROGRAM} is not installed: Hop3 runs it as the registry the swarm's nodes pull from.`, { details: { program: REGISTRY_PROGRAM } });
  }
  prepareHome(context); // HOP3_HOME passable (0711): the registry's user must reach its storage
  const root = runsAsRoot() ? { uid: 0, gid: 0 } : {};
  ensureDir(swarmDir(context.home), { mode: 0o711, ...root });
  ensureDir(layout.root, { mode: 0o711, ...root });
  return withLockFile(
    layout.lockFile,
    async () => {
      const state = readState(layout) ?? { port: await findFreePort("127.0.0.1") };
      const pid = registryPid(layout) ?? (await startRegistry(program, layout, state.port, context));
      writeState(layout, { port: state.port });
      return { address: `127.0.0.1:${state.port}`, pid, started: true };
    },
    {
      purpose: "starting the Swarm registry",
      timeoutMs: 2 * START_TIMEOUT_MS,
      signal: context.signal,
      busy: (holder) => swarmError("SWARM_REGISTRY_START_FAILED", `Another Hop3 process${holder ? ` (pid ${holder.pid})` : ""} is still starting the registry of ${context.home}.`, { details: { lockFile: layout.lockFile } }),
    },
  );
}

async function startRegistry(program: string, layout: RegistryLayout, port: number, context: OperationContext): Promise<number> {
  const user = ensureServiceUser(context, SERVICE);
  ensureDir(layout.data, { mode: 0o700, ...(user.dedicated && { uid: user.uid, gid: user.gid }) });
  writeFileAtomic(layout.config, renderRegistryConfig(layout.data, port), 0o644);
  if (await isPortInUse("127.0.0.1", port)) {
    throw swarmError("SWARM_REGISTRY_START_FAILED", `The registry's port 127.0.0.1:${port} is in use by another program.`, {
      hint: `Stop the program holding port ${port} (\`ss -ltnp 'sport = :${port}'\` shows it): the swarm's images are named by this address, so Hop3 keeps it.`,
      details: { port },
    });
  }
  rmSync(layout.pidFile, { force: true });
  const logFd = openSync(layout.log, "a", 0o600);
  let exited: string | undefined;
  let pid: number | undefined;
  try {
    const argv = [...privilegeDrop(user), program, "serve", layout.config];
    // Only PATH, the locale, HOME and USER: a REGISTRY_* variable of Hop3's would override the config.
    const child = spawn(argv[0]!, argv.slice(1), { cwd: layout.data, env: appProcessEnv(user, context.env), detached: true, stdio: ["ignore", logFd, logFd] });
    child.once("error", (error) => (exited = error.message));
    child.once("exit", (code, signal) => (exited = signal ? `was killed by ${signal}` : `exited with code ${code}`));
    child.unref();
    pid = child.pid;
    if (pid !== undefined) writeFileAtomic(layout.pidFile, `${pid}\n`, 0o644);
    context.logger.info(`Starting the Swarm registry on 127.0.0.1:${port} as ${user.name} (pid ${pid}).`);
    const answered = await waitUntil(async () => exited !== undefined || (await registryAnswers(`127.0.0.1:${port}`, 500)), { timeoutMs: START_TIMEOUT_MS, pollMs: 50, signal: context.signal });
    if (answered === true && exited === undefined && pid !== undefined) return pid;
    if (exited === undefined && pid !== undefined) process.kill(pid, "SIGKILL");
  } finally {
    closeSync(logFd);
  }
  rmSync(layout.pidFile, { force: true });
  throw swarmError("SWARM_REGISTRY_START_FAILED", `${REGISTRY_PROGRAM} ${exited ?? `did not answer on 127.0.0.1:${port} within ${START_TIMEOUT_MS / 1000} s`}.${logTail(layout)}`, {
    details: { port, log: layout.log },
  });
}

/**
 * The registry's config: loopback only, filesystem storage without deletes, no auth (only this
 * host reaches it; services pull by digest, so what another local process pushes never runs), no
 * debug server. Paths are JSON strings, which YAML reads as its own
 * double-quoted strings: no character of HOP3_HOME can break out of them.
 */
export function renderRegistryConfig(data: string, port: number): string {
  return [
    "# Made by Hop3 (@hop3/deployer-swarm); rewritten at each start.",
    "version: 0.1",
    "log:",
    "  level: warn",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${JSON.stringify(data)}`,
    // Nothing Hop3 does deletes; a local process that could would take images from under the nodes.
    "  delete:",
    "    enabled: false",
    "http:",
    `  addr: ${JSON.stringify(`127.0.0.1:${port}`)}`,
    "",
  ].join("\n");
}

/** Stops Hop3's registry (SIGTERM, then SIGKILL) and remembers it was stopped; the images stay. */
export async function stopRegistry(context: OperationContext): Promise<void> {
  const layout = registryLayout(context.home);
  const state = readState(layout);
  if (state === undefined) return;
  const pid = registryPid(layout);
  if (pid !== undefined) {
    for (const [signal, waitMs] of [["SIGTERM", 10_000], ["SIGKILL", 5_000]] as const) {
      try {
        process.kill(pid, signal);
      } catch {
        // gone already
      }
      if (await waitUntil(() => !isAlive(pid), { timeoutMs: waitMs, pollMs: 10 })) break;
    }
  }
  rmSync(layout.pidFile, { force: true });
  writeState(layout, { ...state, stopped: true });
}

/** The registry as `hop3 server` and `hop3 doctor` show it; undefined when this home never ran one. */
export async function registryStatus(context: OperationContext): Promise<ServiceStatus | undefined> {
  const layout = registryLayout(context.home);
  const state = readState(layout);
  if (state === undefined) return undefined;
  const address = `127.0.0.1:${state.port}`;
  const pid = registryPid(layout);
  if (pid === undefined) return { name: REGISTRY_SERVICE_NAME, running: false, detail: `not running (${address}, storage ${layout.data})` };
  const answers = await registryAnswers(address, 2_000);
  return { name: REGISTRY_SERVICE_NAME, running: answers, pid, detail: `${address}${answers ? "" : " does not answer"}, storage ${layout.data}` };
}

/**
 * Keeps the registry up between `hop3 server start` and `stop`: started again when it died (Hop3's
 * schedule asks every minute). Returns what it did.
 */
export async function superviseRegistry(context: OperationContext): Promise<string[]> {
  const layout = registryLayout(context.home);
  const state = readState(layout);
  if (state === undefined || state.stopped || registryPid(layout) !== undefined) return [];
  const { address, pid } = await ensureRegistry(context);
  return [`started the registry again on ${address} (pid ${pid}): it had stopped`];
}

/** Whether a registry answers `GET /v2/` (the API's base: 200, or 401 behind auth) within `timeoutMs`. */
export function registryAnswers(address: string, timeoutMs: number): Promise<boolean> {
  const [host = "", port = "80"] = address.split(":");
  return new Promise((resolve) => {
    const req = request({ host, port: Number(port), path: "/v2/", agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 || res.statusCode === 401);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}


function logTail(layout: RegistryLayout): string {
  try {
    const lines = readFileSync(layout.log, "utf8").trimEnd().split("\n").slice(-3);
    return `\n${REGISTRY_PROGRAM} log:\n${lines.map((line) => `  ${line}`).join("\n")}`;
  } catch {
    return "";
  }
}

/** HOP3_SWARM_REGISTRY as the deployer's `registry` option: `host:port`, `none` (false), or unset (Hop3's own). */
export function registryFromEnv(env: Readonly<Record<string, string | undefined>>): string | false | undefined {
  const value = env.HOP3_SWARM_REGISTRY?.trim() ?? "";
  return value === "" ? undefined : value === "none" ? false : value;
}

/** One line of `hop3 doctor`: the registry the swarm's nodes pull from, and whether it answers. */
export interface RegistryCheck {
  readonly ok: boolean;
  readonly detail: string;
}

/** What `hop3 doctor` says of the registry a home's Swarm deployer uses (`registry`: the option, as registryFromEnv gives it). */
export async function checkSwarmRegistry(home: string, registry: string | false | undefined, env: Readonly<Record<string, string | undefined>>): Promise<RegistryCheck> {
  if (registry === false) return { ok: true, detail: "none (HOP3_SWARM_REGISTRY=none): images stay on the manager's engine, enough for one node only" };
  if (registry !== undefined) {
    return (await registryAnswers(registry, 5_000)) ? { ok: true, detail: `${registry} answers` } : { ok: false, detail: `${registry} does not answer on /v2/: every Swarm deploy fails (SWARM_REGISTRY_UNREACHABLE)` };
  }
  if (findProgram(REGISTRY_PROGRAM, { PATH: `${env.PATH ?? ""}:/usr/bin:/usr/sbin` }) === undefined) {
    return { ok: false, detail: `Hop3's: ${REGISTRY_PROGRAM} is not installed (apt-get install docker-registry, or hop3 setup)` };
  }
  const layout = registryLayout(home);
  let state: RegistryState | undefined;
  try {
    state = readState(layout);
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
  if (state === undefined) return { ok: true, detail: "Hop3's, not started yet (the first Swarm deploy starts it)" };
  const address = `127.0.0.1:${state.port}`;
  const pid = registryPid(layout);
  if (pid === undefined) return { ok: false, detail: `Hop3's on ${address} is not running${state.stopped ? " (hop3 server stop)" : ""}: hop3 server start` };
  return (await registryAnswers(address, 5_000))
    ? { ok: true, detail: `Hop3's on ${address} (pid ${pid}), storage ${layout.data}` }
    : { ok: false, detail: `Hop3's on ${address} (pid ${pid}) does not answer; see ${layout.log}` };
}
