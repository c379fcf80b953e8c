import type { CommandRunner } from "../command.js";
import type { AppUser } from "../host/users.js";
import type { Logger } from "../logger.js";
import type { Clock, HttpClient, StateStore } from "../services.js";

/** The contract version this core implements. A plugin built for another one is refused. */
export const API_VERSION = 1 as const;
/** Every contract version this core can load. */
export const SUPPORTED_API_VERSIONS: readonly number[] = [API_VERSION];

/**
 * What every long-running plugin operation gets: where to report, how to run programs, when to
 * stop. A view of the operation's container: each service here is what that container resolves
 * for its token (`run` is `Hop3Tokens.CommandRunner`...), so a class contribution that injects
 * the token gets the very same object.
 */
export interface OperationContext {
  /** Receives progress; command output lines go through it (`Hop3Tokens.Logger`). */
  readonly logger: Logger;
  /**
   * Runs a program with output streamed to `logger`, cancellation tied to `signal` and the
   * distribution's environment (`Hop3Tokens.CommandRunner`).
   */
  readonly run: CommandRunner;
  /** Aborted when the user cancels; long operations must stop soon after (`Hop3Tokens.Signal`). */
  readonly signal: AbortSignal;
  /** What time it is (`Hop3Tokens.Clock`). */
  readonly clock: Clock;
  /** Reads and writes Hop3's JSON state files (`Hop3Tokens.StateStore`). */
  readonly state: StateStore;
  /** Asks HTTP servers, as a health check does (`Hop3Tokens.HttpClient`). */
  readonly http: HttpClient;
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
