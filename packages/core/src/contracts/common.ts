import type { CommandRunner } from "../command.js";
import type { AppUser } from "../host/users.js";
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
  /**
   * How to run this distribution's command-line program (`[node, ..., "bin.js"]`), for work Hop3
   * schedules for itself, such as rotating logs every minute. Absent when it has none.
   */
  readonly hop3Command?: readonly string[];
}

/** An operation on one app's files and processes: a build, freeing a release. */
export interface AppOperationContext extends OperationContext {
  /** This app's own state directory under `home` (`<home>/apps/<app>`), for GC roots, build copies... */
  readonly appStateDir: string;
  /** The user the app's processes run as (its own when Hop3 runs as root; see docs/reference/security.md). */
  readonly appUser: AppUser;
  /**
   * Runs a program as `appUser`, without capabilities or a way back to root, with umask 027 and
   * only the environment given (on top of PATH, the locale, HOME, USER and TMPDIR). Everything the
   * app ships (its build steps, its package manager's scripts) must run through it, and so must
   * anything that changes files the app owns; `run` runs as Hop3 itself, for Hop3's own programs
   * (the Docker CLI, GC roots).
   */
  readonly runAsApp: CommandRunner;
}
