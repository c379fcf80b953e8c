import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SshTarget } from "./address.js";

// The OpenSSH master connection, with node's own modules only: `connectEarly` starts it before
// Hop3's modules load, and `openSession` takes it over (or starts one) to run sessions on it.

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

/** How long a master with no session lives on: a client killed before closing it leaves nothing for longer. */
const PERSIST_SECONDS = 10;

/** How a master's start ended. */
export interface MasterStart {
  /** ssh's exit code: 0 once the master is authenticated and in the background; null when it was stopped. */
  readonly code: number | null;
  /** ssh could not be started (ENOENT: not installed). */
  readonly error?: NodeJS.ErrnoException;
}

/** A master connection (`ssh -M -N`, its control socket in a private temporary directory). */
export interface SshMaster {
  readonly program: string;
  /** ssh's options for the target: the config file, the fixed options, port and user. */
  readonly options: readonly string[];
  readonly host: string;
  readonly socket: string;
  /** Settles once the master is in the background (code 0) or has failed; keeps this process alive meanwhile. */
  started(): Promise<MasterStart>;
  /** What ssh said while it connected. */
  messages(): string;
  /** Ends the connection, or stops it connecting, and removes its directory, without waiting: callable from an exit handler. */
  close(): void;
}

/**
 * Starts the master: ssh exits 0 once it is authenticated and has gone to the background, where
 * ControlPersist bounds it (a master with no session for PERSIST_SECONDS ends on its own).
 */
export function startMaster(target: SshTarget, settings: SshSettings): SshMaster {
  const program = settings.program ?? "ssh";
  const options = targetArgs(target, settings);
  const dir = mkdtempSync(join(tmpdir(), "hop3-ssh-"));
  const socket = join(dir, "control");
  // Its messages go to a file: the master outlives the start, and a pipe would keep this process waiting on it.
  const log = join(dir, "master.log");
  const logFd = openSync(log, "w", 0o600);
  const child = spawn(program, [...options, "-M", "-N", "-S", socket, "-o", `ControlPersist=${PERSIST_SECONDS}`, "--", target.host], { stdio: ["ignore", "ignore", logFd] });
  closeSync(logFd); // the child has its own copy
  // Started early, it must not keep a command that never uses it waiting (started() holds the process instead).
  child.unref();
  const settled = new Promise<MasterStart>((resolve) => {
    child.on("error", (error: NodeJS.ErrnoException) => resolve({ code: null, error }));
    child.on("exit", (code) => resolve({ code }));
  });
  let closed = false;
  return {
    program,
    options,
    host: target.host,
    socket,
    started() {
      child.ref();
      return settled;
    },
    messages: () => {
      try {
        return readFileSync(log, "utf8");
      } catch {
        return "";
      }
    },
    close() {
      if (closed) return;
      closed = true;
      if (existsSync(socket)) {
        // `ssh -O exit`, then the directory removed, in a process of its own: this one need not wait for it.
        const exit = [program, ...options, "-S", socket, "-O", "exit", "--", target.host];
        spawn("/bin/sh", ["-c", '"$@"; rm -rf "$0"', dir, ...exit], { stdio: "ignore", detached: true }).unref();
        return;
      }
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let early: { readonly key: string; readonly master: SshMaster } | undefined;

const keyOf = (target: SshTarget, settings: SshSettings) => JSON.stringify([settings.program ?? "ssh", targetArgs(target, settings), target.host]);

/** Starts the master a command will need, for `claimMaster` to take; one the command never takes is closed when this process exits. */
export function startEarlyMaster(target: SshTarget, settings: SshSettings): void {
  closeUnclaimed();
  early = { key: keyOf(target, settings), master: startMaster(target, settings) };
  process.once("exit", closeUnclaimed);
}

/** The master started early for this target and these settings, if any (another one is closed). */
export function claimMaster(target: SshTarget, settings: SshSettings): SshMaster | undefined {
  const offered = early;
  early = undefined;
  if (offered === undefined) return undefined;
  process.removeListener("exit", closeUnclaimed);
  if (offered.key === keyOf(target, settings)) return offered.master;
  offered.master.close();
  return undefined;
}

function closeUnclaimed(): void {
  early?.master.close();
  early = undefined;
}
