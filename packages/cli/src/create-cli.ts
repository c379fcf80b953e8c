import { createSteps, Hop3Error, loadPlugins, type CliCommand, type Distribution } from "@hop3/core";
import { parseCommandArgs } from "./args.js";
import type { Command } from "./command.js";
import { builtInCommands } from "./commands/index.js";
import { asWriteFailure } from "./errors.js";
import { colors, processIO, type CliIO } from "./io.js";
import { readPluginSettings } from "./plugin-settings.js";
import { createReporter, renderSteps } from "./reporter.js";
import { UsageError } from "./usage-error.js";

export interface CliOptions {
  /** The program name, as typed by users (e.g. "hop3"). */
  readonly name: string;
  readonly version: string;
  /** Built-in commands (default: `builtInCommands`); plugins add theirs through the distribution. */
  readonly commands?: readonly Command[];
  /** Where to send bug reports, printed with internal errors. */
  readonly bugReportUrl?: string;
  /**
   * Where plugins named at run time (Hop3's config file, HOP3_PLUGINS) are looked for after the
   * config file's directory: the distribution's own location, usually its bin's `import.meta.url`.
   * Default: where @hop3/cli is installed. `false` turns run-time plugins off.
   */
  readonly pluginsFrom?: string | URL | false;
  /**
   * How to run this program again (`runningProgram()` in a bin script), for the work Hop3 schedules
   * for itself, such as rotating logs every minute (OperationContext.hop3Command). Absent: the
   * distribution's own, if any; nothing is scheduled without one.
   */
  readonly hop3Command?: readonly string[];
}

/** The argv that started this process again: node, its flags (a loader such as tsx's), the script. */
export const runningProgram = (): string[] => [process.execPath, ...process.execArgv, ...(process.argv[1] ? [process.argv[1]] : [])];

type ResolvedCliOptions = CliOptions & { readonly commands: readonly Command[] };

/** Exit codes: 1 for a user error, 2 for bad usage, 70 for an internal error (a bug). */
export const EXIT = { ok: 0, userError: 1, usage: 2, internal: 70 } as const;

export interface Cli {
  run(argv: readonly string[], io?: CliIO): Promise<number>;
}

/**
 * A command-line program over a distribution. The distribution is given as a loader so that
 * `--version` and `--help` of built-ins never load plugins.
 */
export function createCli(distribution: Distribution | (() => Promise<Distribution>), cliOptions: CliOptions): Cli {
  const options = { ...cliOptions, commands: cliOptions.commands ?? builtInCommands };
  const pluginsFrom = options.pluginsFrom ?? import.meta.url;

  return {
    async run(argv, io = processIO()) {
      const json = argv.includes("--json");
      let loaded: Promise<Distribution> | undefined;
      const base = async () => {
        const composed = await (typeof distribution === "function" ? distribution() : distribution);
        return options.hop3Command ? composed.withHop3Command(options.hop3Command) : composed;
      };
      const load = () => (loaded ??= withRunTimePlugins(base(), io, pluginsFrom));
      try {
        if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
          io.stdout.write(`${await helpText(options, load)}\n`);
          return argv.length === 0 ? EXIT.usage : EXIT.ok;
        }
        if (argv[0] === "--version" || argv[0] === "-V" || argv[0] === "version") {
          io.stdout.write(json ? `${JSON.stringify({ name: options.name, version: options.version })}\n` : `${options.name} ${options.version}\n`);
          return EXIT.ok;
        }
        const builtIn = longestMatch(options.commands, argv);
        if (builtIn) return await runBuiltIn(builtIn, argv.slice(builtIn.name.length), io, json, load, options);
        const plugin = longestMatch((await load()).registry.cliCommands(), argv);
        if (plugin) return await runPluginCommand(plugin, argv.slice(plugin.name.length), io);
        throw new UsageError(`unknown command "${argv[0]}"; run \`${options.name} --help\` for the list`);
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
  const { requests, configDir } = readPluginSettings(io.env);
  if (requests.length === 0) return distribution;
  const loaded = await loadPlugins(requests, { searchFrom: [...(configDir !== undefined ? [configDir] : []), pluginsFrom] });
  return distribution.withPlugins(loaded);
}

/** Usage lines are written for `hop3`; a distribution with another name shows its own. */
const programName = (text: string, name: string) => text.replace(/^hop3\b/, name);

function longestMatch<T extends { name: readonly string[] }>(commands: readonly T[], argv: readonly string[]): T | undefined {
  return [...commands]
    .sort((a, b) => b.name.length - a.name.length)
    .find((command) => command.name.every((word, i) => argv[i] === word));
}

async function runBuiltIn(command: Command, argv: readonly string[], io: CliIO, json: boolean, load: () => Promise<Distribution>, options: ResolvedCliOptions): Promise<number> {
  const args = parseCommandArgs(argv, command.options ?? {}, command.maxPositionals ?? 0, command.usage);
  if (args.values.help) {
    io.stdout.write(`${command.summary}\n\nusage: ${programName(command.usage, options.name)}\n`);
    return EXIT.ok;
  }
  const onStep = renderSteps(io);
  const steps = createSteps(onStep);
  const outcome = await command.run({ args, io, json, distribution: load, onStep, reporter: { step: steps.run, note: steps.note } });
  if (json) io.stdout.write(`${JSON.stringify(outcome.data)}\n`);
  else {
    const lines = typeof outcome.text === "string" ? [outcome.text] : outcome.text;
    if (lines.length > 0) io.stdout.write(`${lines.join("\n")}\n`);
  }
  return outcome.exitCode ?? EXIT.ok;
}

async function runPluginCommand(command: CliCommand, argv: readonly string[], io: CliIO): Promise<number> {
  const reporter = createReporter(io);
  return command.run({
    argv,
    cwd: io.cwd,
    env: io.env,
    stdout: io.stdout,
    stderr: io.stderr,
    signal: io.signal,
    logger: {
      info: (text) => void io.stderr.write(`${text}\n`),
      warn: reporter.note,
      debug: () => {},
      output: (line) => void io.stderr.write(`${line.text}\n`),
    },
  });
}

/** The one error boundary: user errors are explained, internal errors ask for a bug report. */
function report(error: unknown, io: CliIO, json: boolean, options: CliOptions): number {
  const c = colors(io.stderr, io.env);
  if (UsageError.is(error)) {
    if (json) io.stdout.write(`${JSON.stringify({ error: { code: "USAGE", message: error.message, hint: error.usage ?? "" } })}\n`);
    io.stderr.write(`${c.red("error")}: ${error.message}\n${error.usage ? `usage: ${programName(error.usage, options.name)}\n` : ""}`);
    return EXIT.usage;
  }
  if (Hop3Error.is(error)) {
    if (json) io.stdout.write(`${JSON.stringify({ error: error.toJSON() })}\n`);
    io.stderr.write(`${c.red(`error[${error.code}]`)}: ${error.message}\n${c.bold("hint")}: ${error.hint}\n`);
    return EXIT.userError;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (json) io.stdout.write(`${JSON.stringify({ error: { code: "INTERNAL", message: String((error as Error)?.message ?? error), hint: "This is a bug in hop3." } })}\n`);
  io.stderr.write(
    `${c.red("internal error")}: ${stack}\n\nThis is a bug in ${options.name} ${options.version}. Please report it${options.bugReportUrl ? ` at ${options.bugReportUrl}` : ""} with the output above.\n`,
  );
  return EXIT.internal;
}

async function helpText(options: ResolvedCliOptions, load: () => Promise<Distribution>): Promise<string> {
  const rows = options.commands.map((c) => [programName(c.usage, options.name), c.summary] as const);
  try {
    for (const c of (await load()).registry.cliCommands()) rows.push([c.usage, c.summary]);
  } catch {
    // Help must work even when a plugin fails to load; the error shows on the next real command.
  }
  const width = Math.max(...rows.map(([usage]) => usage.length));
  return [`${options.name} ${options.version}`, "", "Commands:", ...rows.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`), "", "Built-in commands take --json (one JSON object on stdout) and --help."].join("\n");
}
