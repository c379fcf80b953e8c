import type { Logger } from "../logger.js";

/** What a plugin-contributed CLI command is given when it runs. */
export interface CliCommandContext {
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

/** A command a plugin adds to the CLI, e.g. `hop3 nix validate`. */
export interface CliCommand {
  readonly apiVersion: 1;
  /** Words after `hop3`, e.g. ["nix", "validate"]. */
  readonly name: readonly string[];
  /** One line for `hop3 --help`. */
  readonly summary: string;
  /** Usage line, e.g. "hop3 nix validate [DIR] [--app NAME] [--verbose]". */
  readonly usage: string;
  /** Returns the process exit code. */
  run(context: CliCommandContext): Promise<number>;
}
