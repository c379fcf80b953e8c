import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { Readable, Writable } from "node:stream";
import { defineCliCommand, findProgram, shellQuote, UsageError } from "@hop3/core/cli";
import type { OneOffCommand } from "@hop3/core";

/** Where `script` (util-linux) is looked for: never the app's PATH. */
const SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

export const runCommand = defineCliCommand({
  name: ["run"],
  summary: "Run a one-off command in an app's live release (its env, PATH, directory and user)",
  description: [
    "The command's stdin, stdout and stderr are this command's; its exit code is this command's (128+n when a signal ended it).",
    "-t gives it a terminal of its own (a pseudo-terminal), for an interactive program (a shell, a REPL).",
  ].join("\n"),
  usage: "hop3 run NAME [-t] -- CMD [ARG...]",
  options: { tty: { type: "boolean", short: "t", description: "give the command a terminal (a pty), for interactive programs" } },
  positionals: [{ name: "NAME" }, { name: "CMD", variadic: true }],
  async run({ args, io, distribution, json }) {
    const [app, ...command] = args.positionals;
    if (!app) throw new UsageError("the app name is missing", this.usage);
    if (command.length === 0) throw new UsageError("the command is missing: give it after `--`", this.usage);
    if (json) throw new UsageError("--json cannot be combined with run: the command's own output is printed", this.usage);
    const oneOff = (await distribution()).oneOffCommand(app, command);
    const exitCode = await spawnOneOff(oneOff, { tty: args.values.tty === true, stdin: process.stdin, stdout: io.stdout, stderr: io.stderr, signal: io.signal });
    return { data: { app, exitCode }, text: [], exitCode };
  },
});

/** Where a one-off command's streams go. */
export interface OneOffStreams {
  /** Give it a pty (`script`), this process's terminal passed through; else its streams are pipes, and it never holds this terminal. */
  readonly tty: boolean;
  readonly stdin: Readable;
  readonly stdout: { write(chunk: string | Uint8Array): unknown };
  readonly stderr: { write(chunk: string | Uint8Array): unknown };
  readonly signal: AbortSignal;
}

/**
 * Starts a one-off command and returns its exit code (128+n when signal n ended it). Without a
 * pty the command gets pipes, never this terminal: a process holding its user's terminal could
 * push keystrokes into it (TIOCSTI). With one, `script` (run as root, before the privilege drop)
 * owns the terminal and the command gets a pty of its own. Ctrl-C reaches the command.
 */
export function spawnOneOff(oneOff: OneOffCommand, streams: OneOffStreams): Promise<number> {
  const [program, ...rest] = streams.tty ? withPty(oneOff.argv) : oneOff.argv;
  const child = spawn(program!, rest, {
    cwd: oneOff.cwd,
    env: { ...oneOff.launcherEnv },
    stdio: streams.tty ? ["inherit", "inherit", "inherit", "pipe"] : ["pipe", "pipe", "pipe", "pipe"],
  });
  (child.stdio[3] as Writable).end(oneOff.envScript);
  if (!streams.tty) {
    child.stdout!.on("data", (chunk: Buffer) => streams.stdout.write(chunk));
    child.stderr!.on("data", (chunk: Buffer) => streams.stderr.write(chunk));
    child.stdin!.on("error", () => undefined); // a command that exits without reading all of it
    streams.stdin.pipe(child.stdin!);
  }
  const onAbort = () => child.kill("SIGINT");
  streams.signal.addEventListener("abort", onAbort, { once: true });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      streams.signal.removeEventListener("abort", onAbort);
      if (!streams.tty) {
        streams.stdin.unpipe(child.stdin!);
        streams.stdin.pause();
      }
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}

/** `script -qefc CMD /dev/null`: a pty for CMD, no typescript file, CMD's exit status (128+n for a signal). */
function withPty(argv: readonly string[]): string[] {
  const script = findProgram("script", { PATH: SYSTEM_PATH });
  if (script === undefined) throw new UsageError("-t needs `script` (util-linux, `apt-get install bsdutils`), which is not installed");
  return [script, "-qefc", argv.map(shellQuote).join(" "), "/dev/null"];
}
