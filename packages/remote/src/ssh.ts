import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { sleep } from "@hop3/core";
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
 * `close()` ends it.
 */
export interface SshSession {
  /** Runs a command line (already quoted for the server's shell) on the connection. */
  exec(commandLine: string, streams: ExecStreams): Promise<ExecResult>;
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

/** Opens the multiplexed connection: resolves once the master is authenticated, or raises its coded error. */
export async function openSession(target: SshTarget, settings: SshSettings, signal?: AbortSignal): Promise<SshSession> {
  const program = settings.program ?? "ssh";
  const dir = mkdtempSync(join(tmpdir(), "hop3-ssh-"));
  const socket = join(dir, "control");
  const base = targetArgs(target, settings);
  const master = spawn(program, [...base, "-M", "-N", "-S", socket, "-o", "ControlPersist=no", "--", target.host], { stdio: ["ignore", "ignore", "pipe"] });
  let masterErr = "";
  master.stderr!.setEncoding("utf8").on("data", (text: string) => (masterErr += text));
  const exited = new Promise<{ code: number | null; error?: NodeJS.ErrnoException }>((resolve) => {
    master.on("error", (error: NodeJS.ErrnoException) => resolve({ code: null, error }));
    master.on("exit", (code) => resolve({ code }));
  });
  let ended = false;
  void exited.then(() => (ended = true));
  const close = () => {
    stop(master);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    while (!existsSync(socket)) {
      if (ended) {
        const { error } = await exited;
        if (error?.code === "ENOENT") throw remoteError("REMOTE_SSH_MISSING", `${program} is not installed or not on PATH.`, { details: { program } });
        throw connectionError(target, masterErr);
      }
      if (signal?.aborted) throw signal.reason;
      await sleep(10);
    }
  } catch (error) {
    close();
    throw error;
  }
  return {
    exec: (commandLine, streams) => execOn(program, [...base, "-S", socket, "-o", "ControlMaster=no", "--", target.host, commandLine], streams),
    close,
  };
}

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
    }
    const onAbort = () => stop(child);
    streams.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("close", (code, signal) => {
      streams.signal?.removeEventListener("abort", onAbort);
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
