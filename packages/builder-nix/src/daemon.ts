import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { withLockFile, coreErrorCatalog, DEFAULT_LOG_SETTINGS, findProgram, Hop3Error, readHop3Config, rotateInPlace, silentLogger, waitUntil, type OperationContext } from "@hop3/core";
import { nixError } from "./errors.js";

/** Where the Nix daemon is, and what it takes to reach it. */
export interface NixDaemon {
  /** Its socket. */
  readonly socket: string;
  /**
   * Groups a user must be in to reach the socket: the group of its directory when others may not
   * pass it (Debian's nix-users), nothing when the socket is open to all.
   */
  readonly groups: readonly number[];
  /** `running`: it answered already; `systemd`: systemd started it; `started`: Hop3 started it. */
  readonly how: "running" | "systemd" | "started";
  /** The daemon Hop3 started, when it did. */
  readonly pid?: number;
  /** Where the daemon Hop3 started writes its log. */
  readonly logFile?: string;
}

/** Where the daemon is looked for and, when Hop3 starts it, where its lock and log go. */
export interface NixDaemonOptions {
  /** The nix-daemon program: a name on PATH or an absolute path. */
  readonly program: string;
  /** Default: NIX_DAEMON_SOCKET_PATH, else `<NIX_STATE_DIR or /nix/var/nix>/daemon-socket/socket`, as Nix does. */
  readonly socket?: string;
  /** Default: `<NIX_LOG_DIR or /nix/var/log/nix>/nix-daemon.log` (rotated as Hop3's config says). */
  readonly logFile?: string;
  /** Default: `<NIX_STATE_DIR or /nix/var/nix>/hop3-daemon.lock`, in a directory only root writes. */
  readonly lockFile?: string;
  /** How long to wait for a daemon to answer once started (default 15 s). */
  readonly startTimeoutMs?: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const stateDir = (env: Env): string => env.NIX_STATE_DIR || "/nix/var/nix";

/** The socket Nix clients connect to with NIX_REMOTE=daemon. */
export const daemonSocketPath = (env: Env): string => env.NIX_DAEMON_SOCKET_PATH || join(stateDir(env), "daemon-socket", "socket");

/**
 * Makes sure a Nix daemon answers, for builds that run as app users (the store is root's: only the
 * daemon writes to it for them). A daemon that answers is used as it is. Otherwise, one Hop3
 * process at a time (a lock file): on a systemd host `systemctl start nix-daemon.socket`; where
 * that is not possible (no systemd, or no such unit, as with Debian's nix-bin), Hop3 starts
 * `nix-daemon` itself, detached in a session of its own (it outlives Hop3, as a service would),
 * its output appended to a log file, and waits until it answers. NIX_DAEMON_UNAVAILABLE otherwise.
 */
export async function ensureNixDaemon(op: Pick<OperationContext, "run" | "env" | "logger" | "signal">, options: NixDaemonOptions): Promise<NixDaemon> {
  const socket = options.socket ?? daemonSocketPath(op.env);
  const found = (how: NixDaemon["how"], extra: Partial<NixDaemon> = {}): NixDaemon => ({ socket, groups: socketGroups(socket), how, ...extra });
  if (await daemonAnswers(socket)) return found("running");

  const lockFile = options.lockFile ?? join(stateDir(op.env), "hop3-daemon.lock");
  return withLockFile(lockFile, async () => {
    // Another Hop3 process may have started it while this one waited for the lock.
    if (await daemonAnswers(socket)) return found("running");
    const timeoutMs = options.startTimeoutMs ?? 15_000;
    // nix-daemon.socket listens on the standard socket only.
    if (existsSync("/run/systemd/system") && socket === daemonSocketPath({})) {
      const started = await op
        .run("systemctl", ["start", "nix-daemon.socket"], { allowFailure: true, timeoutMs: 30_000, logger: silentLogger, signal: op.signal })
        .catch((error: unknown) => {
          if (Hop3Error.is(error) && error.code === "COMMAND_CANCELLED") throw error;
          return undefined; // no systemctl, or it hung: start the daemon as elsewhere
        });
      if (started?.exitCode === 0 && (await waitForDaemon(socket, timeoutMs, op.signal))) {
        op.logger.info("Started the Nix daemon with systemd (nix-daemon.socket).");
        return found("systemd");
      }
      op.logger.info("systemd could not start nix-daemon.socket: Hop3 starts nix-daemon itself.");
    }
    const logFile = options.logFile ?? join(op.env.NIX_LOG_DIR || "/nix/var/log/nix", "nix-daemon.log");
    const pid = await startDaemon(op, options.program, socket, logFile, timeoutMs);
    op.logger.info(`Started the Nix daemon (pid ${pid}, log ${logFile}).`);
    return found("started", { pid, logFile });
  }, {
    purpose: "starting the Nix daemon",
    // Its holder may wait on systemctl (30 s), then on a daemon of its own: a live one is never cut short.
    timeoutMs: 60_000,
    signal: op.signal,
    busy: (holder) =>
      nixError("NIX_DAEMON_UNAVAILABLE", `No Nix daemon answers on ${socket}, and another Hop3 process${holder ? ` (pid ${holder.pid}, since ${holder.since})` : ""} has been starting one for a minute.`, {
        details: { socket, lockFile, ...(holder && { pid: holder.pid }) },
      }),
  });
}

async function startDaemon(op: Pick<OperationContext, "env" | "signal">, program: string, socket: string, logFile: string, timeoutMs: number): Promise<number> {
  const unavailable = (why: string, cause?: unknown) =>
    nixError("NIX_DAEMON_UNAVAILABLE", `Apps build as their own users through the Nix daemon, and none answers on ${socket}: ${why}.`, {
      ...(cause !== undefined && { cause }),
      details: { socket, program, logFile },
    });
  const daemon = findProgram(program, op.env);
  if (daemon === undefined) throw unavailable(`${program} was not found on PATH`);
  mkdirSync(dirname(logFile), { recursive: true });
  rotateInPlace(logFile, logPolicy(op.env));
  const log = openSync(logFile, "a", 0o600);
  const logStart = statSync(logFile).size;
  let exit: string | undefined;
  let pid: number | undefined;
  try {
    // `detached` makes it a session leader (setsid): Ctrl-C on Hop3 and the end of Hop3 leave it running.
    const child = spawn(daemon, [], { detached: true, stdio: ["ignore", log, log], cwd: "/", env: daemonEnv(op.env, socket) });
    child.once("error", (error) => (exit = error.message));
    child.once("exit", (code, signal) => (exit = signal ? `it was killed by ${signal}` : `it exited with code ${code}`));
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(log);
  }
  const answered = await waitUntil(async () => exit === undefined && (await daemonAnswers(socket)), { timeoutMs, pollMs: 50, signal: op.signal, cancelled: startCancelled });
  if (answered === true) return pid!;
  const tail = lastLines(logFile, logStart);
  throw unavailable(`${daemon} was started and ${exit ?? `did not answer within ${timeoutMs / 1000} s`}${tail ? `. Its log (${logFile}) ends with:\n${tail}` : ""}`);
}

/**
 * The daemon's environment: Nix's own variables of Hop3's environment (NIX_CONFIG, NIX_STORE_DIR...,
 * never NIX_REMOTE, which would make it hand every request to another daemon), the proxies and CA
 * bundles substituters need, and a fixed HOME and TMPDIR: it outlives whatever started it.
 */
export function daemonEnv(env: Env, socket: string): Record<string, string> {
  const out: Record<string, string> = { PATH: env.PATH || "/usr/sbin:/usr/bin:/sbin:/bin", HOME: "/root", NIX_DAEMON_SOCKET_PATH: socket };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if ((name.startsWith("NIX_") && !["NIX_REMOTE", "NIX_PATH", "NIX_DAEMON_SOCKET_PATH"].includes(name)) || PASSED_TO_DAEMON.has(name)) out[name] = value;
  }
  return out;
}

const PASSED_TO_DAEMON = new Set(["LANG", "LC_ALL", "TZ", "SSL_CERT_FILE", "http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"]);

function logPolicy(env: Env) {
  try {
    return readHop3Config(env).logs;
  } catch {
    return DEFAULT_LOG_SETTINGS; // a broken config file is reported where it is used, not here
  }
}

/** The supplementary groups that let a user connect to the socket (see NixDaemon.groups). */
export function socketGroups(socket: string): number[] {
  const groups = new Set<number>();
  for (const [path, needed] of [
    [dirname(socket), 0o001],
    [socket, 0o002],
  ] as const) {
    try {
      const stat = statSync(path);
      if ((stat.mode & needed) === 0 && stat.gid !== 0) groups.add(stat.gid);
    } catch {
      // not there (yet): nothing to add
    }
  }
  return [...groups];
}

// The greeting of the Nix daemon protocol (worker-protocol.hh): both sides send a magic number.
const WORKER_MAGIC_1 = 0x6e697863n;
const WORKER_MAGIC_2 = 0x6478696fn;
/** Protocol 1.10, the oldest every daemon takes, and one after which the daemon sends STDERR_LAST at once. */
const CLIENT_VERSION = 0x10an;

/**
 * Whether a Nix daemon answers on `socket`: connects, exchanges the protocol's greeting, then waits
 * for the daemon's first reply, so it reads a clean end of input and logs no error. A stale socket
 * file (a daemon that died), no socket, or no answer within the time limit is false.
 */
export function daemonAnswers(socket: string, timeoutMs = 3_000): Promise<boolean> {
  return new Promise((resolve) => {
    let greeted = false;
    let received = Buffer.alloc(0);
    const conn = connect(socket);
    const done = (answer: boolean) => {
      clearTimeout(timer);
      conn.destroy();
      resolve(answer);
    };
    // A daemon that greeted and then went quiet still answers.
    const timer = setTimeout(() => done(greeted), timeoutMs);
    conn.on("error", () => done(greeted));
    conn.on("close", () => done(greeted));
    conn.on("connect", () => conn.write(u64(WORKER_MAGIC_1)));
    conn.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (!greeted) {
        if (received.length < 16) return;
        if (received.readBigUInt64LE(0) !== WORKER_MAGIC_2) return done(false);
        greeted = true;
        received = received.subarray(16);
        conn.write(u64(CLIENT_VERSION));
      }
      if (received.length >= 8) done(true);
    });
  });
}

const u64 = (value: bigint): Buffer => {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE(value);
  return buffer;
};

async function waitForDaemon(socket: string, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  return (await waitUntil(() => daemonAnswers(socket), { timeoutMs, pollMs: 50, signal, cancelled: startCancelled })) === true;
}


/** The last lines of what the daemon wrote to its log from `start` (a byte offset) on. */
function lastLines(file: string, start: number, count = 10): string {
  try {
    const lines = readFileSync(file).subarray(start).toString("utf8").split("\n").filter((line) => line.trim() !== "");
    return lines
      .slice(-count)
      .map((line) => `  ${line}`)
      .join("\n");
  } catch {
    return "";
  }
}

const startCancelled = () =>
  new Hop3Error({ code: "COMMAND_CANCELLED", message: "Waiting for the Nix daemon to start was cancelled.", hint: coreErrorCatalog.COMMAND_CANCELLED.hint, details: {} });
