import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import type { SshTarget } from "./address.js";
import { remoteError } from "./errors.js";
import { claimMaster, startMaster, type SshSettings } from "./master.js";

export { sshSettings, type SshSettings } from "./master.js";

/**
 * The transport is the system OpenSSH client, not a library such as ssh2: it is the one that reads
 * the developer's ~/.ssh/config (aliases, ProxyJump, IdentityFile), talks to their agent (and its
 * hardware keys), and checks known_hosts exactly as their own `ssh` does, so a server they reach
 * by hand is reached the same way, and nothing about keys is reimplemented here.
 *
 * One command opens one connection: a master (`ssh -M -N`, see master.ts), started as the very first
 * thing a command bound for a remote does (`connectEarly`); the command (its version handshake in
 * band) is a session on it, and `close()` ends it (`ssh -O exit`, not waited for).
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

/**
 * Opens the multiplexed connection: takes over the master `connectEarly` started for this target,
 * else starts one; resolves once it is authenticated, or raises its coded error. `close()` ends it
 * without waiting.
 */
export async function openSession(target: SshTarget, settings: SshSettings, signal?: AbortSignal): Promise<SshSession> {
  let master = claimMaster(target, settings) ?? startMaster(target, settings);
  const onAbort = () => master.close();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    let started = await master.started();
    // One started early may have ended on its own since, with no session for ControlPersist's 10 s: another one.
    if (started.code === 0 && !existsSync(master.socket) && !signal?.aborted) {
      master.close();
      master = startMaster(target, settings);
      started = await master.started();
    }
    if (started.error?.code === "ENOENT") throw remoteError("REMOTE_SSH_MISSING", `${master.program} is not installed or not on PATH.`, { details: { program: master.program } });
    if (signal?.aborted) throw signal.reason;
    if (started.code !== 0 || !existsSync(master.socket)) throw connectionError(target, master.messages());
  } catch (error) {
    master.close();
    throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  const sessionOptions = [...master.options, "-S", master.socket, "-o", "ControlMaster=no"];
  const { program } = master;
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
    close: () => master.close(),
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
