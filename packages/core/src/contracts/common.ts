import type { CommandRunner } from "../command.js";
import type { Logger } from "../logger.js";

/** The contract version this core implements. A plugin built for another one is refused. */
export const API_VERSION = 1 as const;
/** Every contract version this core can load. */
export const SUPPORTED_API_VERSIONS: readonly number[] = [API_VERSION];

/** What every long-running plugin operation gets: where to report, how to run programs, when to stop. */
export interface OperationContext {
  /** Receives progress; command output lines go through it. */
  readonly logger: Logger;
  /** Runs a program with output streamed to `logger` and cancellation tied to `signal`. */
  readonly run: CommandRunner;
  /** Aborted when the user cancels; long operations must stop soon after. */
  readonly signal: AbortSignal;
  /** Hop3's state directory (HOP3_HOME). */
  readonly home: string;
  /** Environment of the Hop3 process (PATH, NIX_PATH, DOCKER_HOST...), never mutated. */
  readonly env: Readonly<Record<string, string | undefined>>;
}
