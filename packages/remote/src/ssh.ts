import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { remoteError } from "./errors.js";
import type { SshTarget } from "./remotes.js";

/**
 * The transport is the system OpenSSH client, not a library such as ssh2: it is the one that reads
 * the developer's ~/.ssh/config (aliases, ProxyJump, IdentityFile), talks to their agent (and its
 * hardware keys), and checks known_hosts exactly as their own `ssh` does, so a server they reach
 * by hand is reached the same way, and nothing about keys is reimplemented here.
 *
 * One command opens one connection: a master (`ssh -M -N`) with its control socket in a private
 * temporary directory; the version handshake and the command itself are sessions on it, and
 * `close()` ends it (`ssh -O exit`).
 */
export interface SshSession {
  /** Runs a command line (already quoted for the server's shell) on the connection. */
  exec(commandLine: string, streams: ExecStreams): Promise<ExecResult>;
  /** Runs a command line with this process's terminal, through a pty on the server (`ssh -tt`); returns its exit code. */
  execInTerminal(commandLine: string): Promise<number>;
  /** Options that make another ssh (nix-copy-closure's, through NIX_SSHOPTS) a session of this connection. */
  readonly sshOptions: readonly string[];
  /** The host to give that ssh, with `sshOptions`. */
  readonly host: string;
  close(): void;
}

export interface ExecStreams {
  /** Sent to the command's stdin; absent: none. */
  readonly stdin?: Readable;
  readonly stdout: (chunk: Buffer) => void;
  readonly stderr: (chunk: Buffer) => void;
  /** Aborting it ends the session (the ssh client is stopped). */
  readonly signal?: AbortSignal;
}

export interface ExecResult {
  /** The command's exit code, or 255 when ssh failed (then `stderr` says why). */
  readonly code: number;
  /** The ssh client was killed by this signal. */
  readonly signal?: NodeJS.Signals;
  /** What ssh itself printed on stderr (its own messages and the command's, mixed). */
  readonly stderr: string;
  /** The ssh client ran as this pid (for tests that cut the connection). */
  readonly pid?: number;
}

export interface SshSettings {
  /** `-F`: an ssh config file to read instead of ~/.ssh/config (HOP3_SSH_CONFIG). */
  readonly configFile?: string;
  /** The ssh program (HOP3_SSH, default `ssh`). */
  readonly program?: string;
}

export function sshSettings(env: Readonly<Record<string, string | undefined>>): SshSettings {
  return { ...(env.HOP3_SSH_CONFIG && { configFile: env.HOP3_SSH_CONFIG }), ...(env.HOP3_SSH && { program: env.HOP3_SSH }) };
}

/**
 * Never a password prompt (BatchMode), never an unknown or changed host key accepted
 * (StrictHostKeyChecking), and a dead connection noticed within about 45 s.
 */
const FIXED_OPTIONS = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=15", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=3"];

function targetArgs(target: SshTarget, settings: SshSettings): string[] {
  return [
    ...(settings.configFile ? ["-F", settings.configFile] : []),
    ...FIXED_OPTIONS,
    ...(target.port !== undefined ? ["-p", String(target.port)] : []),
    ...(target.user !== undefined ? ["-l", target.user] : []),
  ];
}

/**
 * Opens the multiplexed connection: resolves once the master is authenticated (it then goes to the
 * background), or raises its coded error. ControlPersist bounds what a killed client leaves: a
 * master with no session for PERSIST_SECONDS ends on its own; `close()` ends it at once.
 */
export async function openSession(target: SshTarget, settings: SshSettings, signal?: AbortSignal): Promise<SshSession> {
  const program = settings.program ?? "ssh";
  const dir = mkdtempSync(join(tmpdir(), "hop3-ssh-"));
  const socket = join(dir, "control");
  const base = targetArgs(target, settings);
  // Its messages go to a file: the master outlives this call, and a pipe would keep this process waiting on it.
  const log = join(dir, "master.log");
  const logFd = openSync(log, "w", 0o600);
  const close = () => {
    spawnSync(program, [...base, "-S", socket, "-O", "exit", "--", target.host], { stdio: "ignore", timeout: 5_000 });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const started = await new Promise<{ code: number | null; error?: NodeJS.ErrnoException }>((resolveStart) => {
      const master = spawn(program, [...base, "-M", "-N", "-S", socket, "-o", `ControlPersist=${PERSIST_SECONDS}`, "--", target.host], { stdio: ["ignore", "ignore", logFd] });
      const onAbort = () => master.kill("SIGTERM");
      signal?.addEventListener("abort", onAbort, { once: true });
      master.on("error", (error: NodeJS.ErrnoException) => resolveStart({ code: null, error }));
      master.on("exit", (code) => {
        signal?.removeEventListener("abort", onAbort);
        resolveStart({ code });
      });
    });
    if (started.error?.code === "ENOENT") throw remoteError("REMOTE_SSH_MISSING", `${program} is not installed or not on PATH.`, { details: { program } });
    if (signal?.aborted) throw signal.reason;
    if (started.code !== 0 || !existsSync(socket)) throw connectionError(target, readFileSync(log, "utf8"));
  } catch (error) {
    close();
    throw error;
  } finally {
    closeSync(logFd);
  }
  const sessionOptions = [...base, "-S", socket, "-o", "ControlMaster=no"];
  return {
    exec: (commandLine, streams) => execOn(program, [...sessionOptions, "--", target.host, commandLine], streams),
    execInTerminal: (commandLine) =>
      new Promise((resolveRun) => {
        const child = spawn(program, [...sessionOptions, "-tt", "--", target.host, commandLine], { stdio: "inherit" });
        child.on("close", (code) => resolveRun(code ?? 255));
        child.on("error", () => undefined); // reported by "close" with no code
      }),
    sshOptions: sessionOptions,
    host: target.host,
    close,
  };
}

/** How long a master with no session left lives on (a client killed before closing it). */
const PERSIST_SECONDS = 10;

function execOn(program: string, args: string[], streams: ExecStreams): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { stdio: [streams.stdin ? "pipe" : "ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stdout!.on("data", streams.stdout);
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      if (stderr.length > 64_000) stderr = stderr.slice(-32_000);
      streams.stderr(chunk);
    });
    if (streams.stdin) {
      // A session that ended before all was sent closes its stdin: that is told by the exit, not by EPIPE.
      child.stdin!.on("error", () => undefined);
      streams.stdin.pipe(child.stdin! as Writable);
      // A source that fails ends what the command reads: it sees a cut stream, never waits forever.
      streams.stdin.on("error", () => child.stdin!.destroy());
    }
    const onAbort = () => stop(child);
    streams.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("close", (code, signal) => {
      streams.signal?.removeEventListener("abort", onAbort);
      // This process's own stdin (hop3 run) would keep it alive once the command is over.
      if (streams.stdin) {
        streams.stdin.unpipe(child.stdin! as Writable);
        streams.stdin.pause();
      }
      resolve({ code: code ?? 255, ...(signal !== null && { signal }), stderr, ...(child.pid !== undefined && { pid: child.pid }) });
    });
    child.on("error", () => undefined); // reported by "close" with no code
  });
}

function stop(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
}

/** ssh's own message (exit 255) as the coded error a person can act on. */
export function connectionError(target: SshTarget, stderr: string) {
  const where = `${target.user !== undefined ? `${target.user}@` : ""}${target.host}${target.port !== undefined ? `:${target.port}` : ""}`;
  const said = stderr.trim().split("\n").filter((line) => line.trim() !== "" && !/^@+$/.test(line.trim())).slice(-3).join(" / ");
  const details = { host: target.host, ...(target.port !== undefined && { port: target.port }), ssh: said };
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr)) {
    return remoteError("REMOTE_HOST_KEY_CHANGED", `The host key of ${where} has changed since it was accepted: the connection was refused.`, { details });
  }
  if (/No \S+ host key is known|Host key verification failed/i.test(stderr)) {
    return remoteError("REMOTE_HOST_UNKNOWN", `The host key of ${where} is not in known_hosts: the connection was refused.`, { details });
  }
  if (/Permission denied|Too many authentication failures|no mutual signature|Authentication failed/i.test(stderr)) {
    return remoteError("REMOTE_KEY_REFUSED", `${where} refused the keys this machine offered (ssh: ${said}).`, { details });
  }
  return remoteError("REMOTE_UNREACHABLE", `${where} could not be reached (ssh: ${said || "no message"}).`, { details });
}
