import type { Distribution, StepSink } from "@hop3/core";
import type { OptionSpec, ParsedArgs } from "./args.js";
import type { CliIO } from "./io.js";
import type { StepReporter } from "./reporter.js";

/** What a command gets: its parsed arguments, the process, and the distribution (loaded on first use). */
export interface CommandInput {
  readonly args: ParsedArgs;
  readonly io: CliIO;
  readonly json: boolean;
  readonly distribution: () => Promise<Distribution>;
  /** Progress of long steps, on stderr. */
  readonly reporter: StepReporter;
  /** Where core's step events go: rendered on stderr (nothing of them reaches stdout, so --json stays one object). */
  readonly onStep: StepSink;
}

/** A command's result: data for `--json`, lines for people, and the exit code (0 unless said). */
export interface CommandOutcome {
  readonly data: unknown;
  readonly text: string | readonly string[];
  readonly exitCode?: number;
}

/** A built-in command of the CLI. */
export interface Command {
  /** Words after the program name, e.g. ["server", "start"]. */
  readonly name: readonly string[];
  readonly summary: string;
  readonly usage: string;
  readonly options?: OptionSpec;
  readonly maxPositionals?: number;
  run(input: CommandInput): Promise<CommandOutcome>;
}

export const defineCommand = (command: Command): Command => command;
