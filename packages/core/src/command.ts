import { coreError } from "./error-codes.js";
import { silentLogger, type Logger, type OutputLine } from "./logger.js";

/** How to run one external command. */
export interface RunOptions {
  /** Working directory; defaults to the current one. */
  cwd?: string;
  /** Variables added to (or, with `extendEnv: false`, replacing) the current environment. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Inherit the current environment (default true). */
  extendEnv?: boolean;
  /** Stop the command after this many milliseconds (default: no limit), as an abort does. */
  timeoutMs?: number;
  /**
   * Aborting it stops the command and raises COMMAND_CANCELLED. The program runs in its own process
   * group, and the whole group is stopped (what `sh -c` or `make` started too): SIGTERM, then
   * SIGKILL after `STOP_GRACE_MS`.
   */
  signal?: AbortSignal;
  /** Receives every output line as it is printed. */
  logger?: Logger;
  /** How many of the last output lines to keep for error messages (default 30). */
  keepLines?: number;
  /** Return a non-zero exit as a result instead of raising COMMAND_FAILED. */
  allowFailure?: boolean;
  /** What the command is for, in error messages ("the Nix build"). Defaults to the command line. */
  purpose?: string;
  /** Hint used when the program is not installed. */
  notFoundHint?: string;
}

/** What a finished command left. `lastLines` interleaves stdout and stderr in arrival order. */
export interface CommandResult {
  readonly command: string;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly lastLines: readonly string[];
  readonly durationMs: number;
}

/** The one way Hop3 runs programs: streamed lines, time limit, cancellation, coded errors. */
export type CommandRunner = (file: string, args: readonly string[], options?: RunOptions) => Promise<CommandResult>;

export const runCommand: CommandRunner = async (file, args, options = {}) => {
  const logger = options.logger ?? silentLogger;
  const keep = options.keepLines ?? 30;
  const commandLine = [file, ...args].join(" ");
  const purpose = options.purpose ?? `\`${commandLine}\``;
  const lastLines: string[] = [];
  const collect = (stream: OutputLine["stream"]) =>
    function* (line: unknown) {
      const text = String(line);
      lastLines.push(text);
      if (lastLines.length > keep) lastLines.shift();
      logger.output({ stream, text });
      yield line;
    };

  // Loaded on first use: commands that run no program (status, config...) start faster without it.
  const { execa } = await import("./vendor/execa.js");
  const started = performance.now();
  // The program leads a process group of its own (detached), so stopping it stops all it started.
  const subprocess = execa(file, [...args], {
    cwd: options.cwd,
    env: options.env as Record<string, string> | undefined,
    extendEnv: options.extendEnv ?? true,
    detached: true,
    stdin: "ignore",
    reject: false,
    stdout: [collect("stdout")],
    stderr: [collect("stderr")],
  });
  const stop = stopper(subprocess.pid);
  const onAbort = () => stop("cancelled");
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => stop("timeout"), options.timeoutMs);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });
  const result = await subprocess.finally(() => {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    stop.done();
  });
  const durationMs = performance.now() - started;
  const details = { command: commandLine, cwd: options.cwd, exitCode: result.exitCode, lastLines: [...lastLines] };

  if (result.failed && (result as { code?: string }).code === "ENOENT") {
    throw coreError("COMMAND_NOT_FOUND", `${file} is not installed or not on PATH (needed for ${purpose}).`, {
      hint: options.notFoundHint,
      details,
    });
  }
  if (stop.reason === "cancelled") {
    throw coreError("COMMAND_CANCELLED", `${purpose} was cancelled.`, { details });
  }
  if (stop.reason === "timeout") {
    const seconds = Math.round((options.timeoutMs ?? 0) / 100) / 10;
    throw coreError("COMMAND_TIMEOUT", `${purpose} did not finish within ${seconds} s and was stopped.`, {
      details,
    });
  }
  const exitCode = result.exitCode ?? -1;
  if (exitCode !== 0 && !options.allowFailure) {
    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${exitCode}`;
    throw coreError("COMMAND_FAILED", `${purpose} ${how}.${formatLastLines(lastLines)}`, {
      details,
    });
  }
  return {
    command: commandLine,
    exitCode,
    stdout: String(result.stdout ?? ""),
    stderr: String(result.stderr ?? ""),
    lastLines,
    durationMs,
  };
};

/** How long a stopped program's group has between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 5_000;

/** Process groups of programs running now: killed if Hop3 exits before they end. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

/**
 * Stops the process group led by `pid` (TERM, then KILL after the grace period) and remembers why.
 * `done()` is called once the program has ended: the group is forgotten and, if it was stopped,
 * what still runs in it is killed. A program that ends on its own keeps what it left running
 * (nginx and start-stop-daemon daemonize through it).
 */
function stopper(pid: number | undefined) {
  let killTimer: NodeJS.Timeout | undefined;
  if (pid !== undefined) {
    liveGroups.add(pid);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      // Synchronous: all an exiting process can still do. Covers process.exit() and the end of the event loop.
      process.on("exit", () => {
        for (const group of liveGroups) killGroup(group, "SIGKILL");
      });
    }
  }
  const stop = (reason: "cancelled" | "timeout") => {
    if (stop.reason !== undefined || pid === undefined) return;
    stop.reason = reason;
    killGroup(pid, "SIGTERM");
    killTimer = setTimeout(() => killGroup(pid, "SIGKILL"), STOP_GRACE_MS);
    killTimer.unref();
  };
  stop.reason = undefined as "cancelled" | "timeout" | undefined;
  stop.done = () => {
    clearTimeout(killTimer);
    if (pid === undefined) return;
    if (stop.reason !== undefined) killGroup(pid, "SIGKILL");
    liveGroups.delete(pid);
  };
  return stop;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group has ended already.
  }
}

/** The tail of a command's output, indented under an error message. */
export function formatLastLines(lines: readonly string[], count = 10): string {
  const tail = lines.slice(-count).filter((line) => line.trim() !== "");
  return tail.length === 0 ? "" : `\nLast output lines:\n${tail.map((line) => `  ${line}`).join("\n")}`;
}
