import type { ParseArgsConfig } from "node:util";
import type { Distribution } from "../distribution.js";
import type { Logger } from "../logger.js";
import type { StepSink } from "../pipeline/events.js";

/** One option of a command, as node's `util.parseArgs` takes it, plus what `--help` shows. */
export type CliOption = NonNullable<ParseArgsConfig["options"]>[string] & {
  /** One line for `--help`. */
  readonly description?: string;
  /** The placeholder of a string option's value in usage and help, e.g. "NAME" (default: the option in capitals). */
  readonly valueName?: string;
};

/** A command's options by long name (`--app`, `--verbose`); every command also takes `--json` and `--help`. */
export type CliOptionSpec = Readonly<Record<string, CliOption>>;

/** A word of a command's arguments after its name, e.g. `DIR` of `hop3 nix validate [DIR]`. */
export interface CliPositional {
  /** Shown in usage and help, e.g. "DIR". */
  readonly name: string;
  /** One line for `--help`. */
  readonly description?: string;
  /** Absent words are a usage error (exit 2) unless optional. Optional ones come last. */
  readonly optional?: boolean;
  /** Takes every remaining word (last positional only). */
  readonly variadic?: boolean;
}

/** Parsed arguments: option values by long name, and the positional words in order. */
export interface ParsedArgs {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: readonly string[];
}

/** A stream a command writes to; a terminal when `isTTY` is true. */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Everything a command takes from its process, in one object, so tests can drive it without spawning. */
export interface CliIO {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Aborted on Ctrl-C: long operations stop and clean up. */
  readonly signal: AbortSignal;
}

/** Named steps rendered with the command's progress (core's `createSteps` over `onStep`). */
export interface StepReporter {
  /** Runs `action` as a named step; its logger's lines are shown folded under the step. */
  step<T>(name: string, action: (logger: Logger) => Promise<T>, describe?: (result: T) => string): Promise<T>;
  /** A line of its own, outside the steps (a warning, a note). */
  note(text: string): void;
}

/** What a command's `run` is given. */
export interface CliCommandInput {
  /** Its arguments, parsed and checked against its declaration (unknown options and extra words never reach it). */
  readonly args: ParsedArgs;
  readonly io: CliIO;
  /** `--json` was given: `data` is printed as one JSON object and nothing else reaches stdout. */
  readonly json: boolean;
  /** The distribution the command runs in, loaded (with its run-time plugins) on first call. */
  readonly distribution: () => Promise<Distribution>;
  /** Where core's step events go: rendered on stderr, so stdout stays one object with --json. */
  readonly onStep: StepSink;
  /** `onStep` as named steps, for a command that runs steps of its own. */
  readonly reporter: StepReporter;
}

/** What a command returns: `data` for `--json`, `text` for people, and the exit code (0 unless said). */
export interface CliCommandOutcome {
  readonly data: unknown;
  readonly text: string | readonly string[];
  readonly exitCode?: number;
}

/**
 * A command of a Hop3 program, built in or added by a plugin (`registry.addCliCommand`), e.g.
 * `hop3 nix validate`. Arguments, `--help`, `--json`, errors and exit codes are handled by the
 * program (`createCli` of @hop3/cli-kit); the command declares its arguments and returns an outcome.
 */
export interface CliCommand {
  readonly apiVersion: 1;
  /** Words after the program name, e.g. ["nix", "validate"]. */
  readonly name: readonly string[];
  /** One line for the program's `--help`. */
  readonly summary: string;
  /** More lines for the command's own `--help`. */
  readonly description?: string;
  /** Left out of the program's `--help` (commands only other programs run, such as sshd's forced command). */
  readonly hidden?: boolean;
  /** The usage line, e.g. "hop3 nix validate [DIR] [--app NAME]"; default: made from the declaration. */
  readonly usage?: string;
  readonly options?: CliOptionSpec;
  /** The words after the name; default none. */
  readonly positionals?: readonly CliPositional[];
  /** Instead of `positionals`: how many words are taken, unnamed (the command checks them itself). */
  readonly maxPositionals?: number;
  run(input: CliCommandInput): Promise<CliCommandOutcome>;
}

/** A command as written: `apiVersion` may be left out. */
export type CliCommandDefinition = Omit<CliCommand, "apiVersion"> & { readonly apiVersion?: 1 };

/** Gives a command its `apiVersion` and its type, for inference; in `run`, `this` is the command as written. */
export function defineCliCommand<T extends CliCommandDefinition>(command: T & ThisType<T>): T & CliCommand {
  return { ...command, apiVersion: 1 };
}

const USAGE_ERROR = Symbol.for("hop3.cli.usage-error");

/**
 * Bad usage of a command (unknown option, missing or extra word): the program prints it with the
 * usage line and exits with 2. Checked with `UsageError.is`, which holds across package copies.
 */
export class UsageError extends Error {
  readonly [USAGE_ERROR] = true;
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
  static is(value: unknown): value is UsageError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[USAGE_ERROR] === true;
  }
}
