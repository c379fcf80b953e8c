import { createSteps, Hop3Error, loadPlugins, UsageError, type CliCommand } from "@hop3/core/cli";
import type { Distribution } from "@hop3/core";
import { commandHelp, forProgram, parseCommandArgs, usageLine } from "./args.js";
import { asWriteFailure } from "./errors.js";
import { colors, processIO, type CliIO } from "./io.js";
import { readPluginSettings } from "./plugin-settings.js";
import type { RemoteSupport } from "./remote.js";
import { renderSteps } from "./reporter.js";

export interface CliOptions {
  /** The program name, as typed by users (e.g. "hop3"). */
  readonly name: string;
  readonly version: string;
  /** The program's own commands (@hop3/cli gives Hop3's); plugins add theirs through the distribution. */
  readonly commands?: readonly CliCommand[];
  /** Where to send bug reports, printed with internal errors. */
  readonly bugReportUrl?: string;
  /**
   * Where plugins named at run time (Hop3's config file, HOP3_PLUGINS) are looked for after the
   * config file's directory: the distribution's own location, usually its bin's `import.meta.url`.
   * Default: where @hop3/cli-kit is installed. `false` turns run-time plugins off.
   */
  readonly pluginsFrom?: string | URL | false;
  /**
   * How to run this program again (`runningProgram()` in a bin script), for the work Hop3 schedules
   * for itself, such as rotating logs every minute (OperationContext.hop3Command). Absent: the
   * distribution's own, if any; nothing is scheduled without one.
   */
  readonly hop3Command?: readonly string[];
  /** App commands on other servers (`--remote`) and the server's end of them: `remoteSupport()` of @hop3/remote. */
  readonly remote?: RemoteSupport;
}

/** Node's flags that decide how the program's modules load (tsx's loader, say): kept by runningProgram. */
const LOADING_FLAGS = new Set(["--import", "--require", "-r", "--loader", "--experimental-loader", "--conditions", "-C"]);

/**
 * The argv that started this process, to run it again: node, the flags that decide how its modules
 * load (LOADING_FLAGS, with their values), the script. Every other flag is left out: what it gives
 * is written into Hop3's schedule and boot unit, which run as root from then on, and a debugger or
 * profiler flag given to one command (`node --inspect hop3 setup`) would open an inspector port
 * there that any local process, an app's included, could run code as root through.
 */
export function runningProgram(running: { readonly execPath: string; readonly execArgv: readonly string[]; readonly argv: readonly string[] } = process): string[] {
  const kept: string[] = [];
  let keeping = false;
  for (const arg of running.execArgv) {
    // execArgv holds node's options only: a word that is not a flag is the value of the flag before it.
    if (arg.startsWith("-")) keeping = LOADING_FLAGS.has(arg.split("=", 1)[0]!);
    if (keeping) kept.push(arg);
  }
  return [running.execPath, ...kept, ...(running.argv[1] ? [running.argv[1]] : [])];
}

/** Exit codes: 1 for a user error, 2 for bad usage, 70 for an internal error (a bug). */
export const EXIT = { ok: 0, userError: 1, usage: 2, internal: 70 } as const;

export interface Cli {
  run(argv: readonly string[], io?: CliIO): Promise<number>;
}

/**
 * A command-line program over a distribution: its own commands and its plugins' run the same way
 * (arguments, --help, --json, errors and exit codes handled here, once). The distribution is given
 * as a loader so that `--version` and `--help` of the program's own commands never load plugins.
 */
export function createCli(distribution: Distribution | (() => Promise<Distribution>), options: CliOptions): Cli {
  const commands = [...(options.commands ?? []), ...(options.remote?.commands ?? [])];
  const pluginsFrom = options.pluginsFrom ?? import.meta.url;

  return {
    async run(given, io = processIO()) {
      // A remote client's command line starts with its protocol: answered before anything is loaded.
      let argv = given;
      if (options.remote && given[0]?.startsWith("--protocol=")) {
        if (!options.remote.handshake(given[0], io, options.version)) return EXIT.userError;
        argv = given.slice(1);
      }
      const json = argv.includes("--json");
      let loaded: Promise<Distribution> | undefined;
      const base = async () => {
        const composed = await (typeof distribution === "function" ? distribution() : distribution);
        return options.hop3Command ? composed.withHop3Command(options.hop3Command) : composed;
      };
      const load = () => (loaded ??= withRunTimePlugins(base(), io, pluginsFrom));
      try {
        if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
          io.stdout.write(`${await helpText(options, commands, load)}\n`);
          return argv.length === 0 ? EXIT.usage : EXIT.ok;
        }
        if (argv[0] === "--version" || argv[0] === "-V" || argv[0] === "version") {
          const protocol = options.remote === undefined ? {} : { protocol: options.remote.protocol };
          io.stdout.write(json ? `${JSON.stringify({ name: options.name, version: options.version, ...protocol })}\n` : `${options.name} ${options.version}\n`);
          return EXIT.ok;
        }
        const command = longestMatch(commands, argv) ?? longestMatch((await load()).registry.cliCommands(), argv);
        if (!command) throw new UsageError(`unknown command "${argv[0]}"; run \`${options.name} --help\` for the list`);
        return await runCommand(command, argv.slice(command.name.length), io, json, load, options);
      } catch (error) {
        return report(asWriteFailure(error), io, json, options);
      }
    },
  };
}

/** The distribution plus the plugins Hop3's config file and HOP3_PLUGINS name (the operator's settings only). */
async function withRunTimePlugins(base: Promise<Distribution>, io: CliIO, pluginsFrom: string | URL | false): Promise<Distribution> {
  const distribution = await base;
  if (pluginsFrom === false) return distribution;
  const { requests, configDir } = await readPluginSettings(io.env);
  if (requests.length === 0) return distribution;
  const loaded = await loadPlugins(requests, { searchFrom: [...(configDir !== undefined ? [configDir] : []), pluginsFrom] });
  return distribution.withPlugins(loaded);
}

function longestMatch(commands: readonly CliCommand[], argv: readonly string[]): CliCommand | undefined {
  return [...commands].sort((a, b) => b.name.length - a.name.length).find((command) => command.name.every((word, i) => argv[i] === word));
}

/** Parses, runs, and prints the outcome: `data` as one JSON object with --json, else `text`. */
async function runCommand(command: CliCommand, argv: readonly string[], io: CliIO, json: boolean, load: () => Promise<Distribution>, options: CliOptions): Promise<number> {
  const program = options.name;
  const declared = options.remote ? { ...command, options: { ...command.options, ...options.remote.optionsFor(command) } } : command;
  const parsed = parseCommandArgs(argv, declared, program);
  if (parsed.values.help) {
    io.stdout.write(`${commandHelp(declared, program)}\n`);
    return EXIT.ok;
  }
  const onStep = renderSteps(io);
  const steps = createSteps(onStep);
  const reporter = { step: steps.run, note: steps.note };
  const preload = () => void load().catch(() => undefined);
  const routed = await options.remote?.route({ command, args: parsed, argv, io, reporter, version: options.version, preload });
  if (routed !== undefined && "exitCode" in routed) return routed.exitCode;
  const args = routed?.args ?? parsed;
  let outcome;
  try {
    outcome = await command.run({ args, io, json, distribution: load, onStep, reporter });
  } finally {
    routed?.dispose?.();
  }
  if (json) io.stdout.write(`${JSON.stringify(outcome.data)}\n`);
  else {
    const lines = typeof outcome.text === "string" ? [outcome.text] : outcome.text;
    if (lines.length > 0) io.stdout.write(`${lines.join("\n")}\n`);
  }
  return outcome.exitCode ?? EXIT.ok;
}

/** The one error boundary: user errors are explained, internal errors ask for a bug report. */
function report(error: unknown, io: CliIO, json: boolean, options: CliOptions): number {
  const c = colors(io.stderr, io.env);
  if (UsageError.is(error)) {
    if (json) io.stdout.write(`${JSON.stringify({ error: { code: "USAGE", message: error.message, hint: error.usage ?? "" } })}\n`);
    io.stderr.write(`${c.red("error")}: ${error.message}\n${error.usage ? `usage: ${forProgram(error.usage, options.name)}\n` : ""}`);
    return EXIT.usage;
  }
  if (Hop3Error.is(error)) {
    if (json) io.stdout.write(`${JSON.stringify({ error: error.toJSON() })}\n`);
    io.stderr.write(`${c.red(`error[${error.code}]`)}: ${error.message}\n${c.bold("hint")}: ${error.hint}\n`);
    return EXIT.userError;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (json) io.stdout.write(`${JSON.stringify({ error: { code: "INTERNAL", message: String((error as Error)?.message ?? error), hint: `This is a bug in ${options.name}.` } })}\n`);
  io.stderr.write(
    `${c.red("internal error")}: ${stack}\n\nThis is a bug in ${options.name} ${options.version}. Please report it${options.bugReportUrl ? ` at ${options.bugReportUrl}` : ""} with the output above.\n`,
  );
  return EXIT.internal;
}

async function helpText(options: CliOptions, commands: readonly CliCommand[], load: () => Promise<Distribution>): Promise<string> {
  const rows = commands.filter((c) => !c.hidden).map((c) => [usageLine(c, options.name), c.summary] as const);
  try {
    for (const c of (await load()).registry.cliCommands()) if (!c.hidden) rows.push([usageLine(c, options.name), c.summary]);
  } catch {
    // Help must work even when a plugin fails to load; the error shows on the next real command.
  }
  const width = Math.max(0, ...rows.map(([usage]) => usage.length));
  return [
    `${options.name} ${options.version}`,
    "",
    "Commands:",
    ...rows.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`),
    "",
    `Every command takes --json (one JSON object on stdout) and --help (\`${options.name} COMMAND --help\`).`,
  ].join("\n");
}
