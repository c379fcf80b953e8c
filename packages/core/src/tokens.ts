/**
 * Every injection token, in one place. Contribution tokens hold many plugins of one kind, read
 * together (`injectAll`); service tokens hold the one service of a distribution or an operation,
 * read with `inject` (see docs/reference/plugin-contract.md, "Services").
 */
const Builder: unique symbol = Symbol.for("hop3.Builder");
const Toolchain: unique symbol = Symbol.for("hop3.LanguageToolchain");
const Deployer: unique symbol = Symbol.for("hop3.Deployer");
const RouterContribution: unique symbol = Symbol.for("hop3.RouterContribution");
const CliCommand: unique symbol = Symbol.for("hop3.CliCommand");
const MaintenanceTask: unique symbol = Symbol.for("hop3.MaintenanceTask");
const CommandRunner: unique symbol = Symbol.for("hop3.CommandRunner");
const Logger: unique symbol = Symbol.for("hop3.Logger");
const Signal: unique symbol = Symbol.for("hop3.Signal");
const Clock: unique symbol = Symbol.for("hop3.Clock");
const StateStore: unique symbol = Symbol.for("hop3.StateStore");
const HttpClient: unique symbol = Symbol.for("hop3.HttpClient");
const Router: unique symbol = Symbol.for("hop3.Router");
const AddonEnv: unique symbol = Symbol.for("hop3.AddonEnv");
const Addon: unique symbol = Symbol.for("hop3.Addon");

export const Hop3Tokens = Object.freeze({
  /** Contributions: every builder. */
  Builder,
  /** Contributions: every language toolchain. */
  Toolchain,
  /** Contributions: every deployer. */
  Deployer,
  /** Contributions: every router; the distribution's router (`Router`) is the first of them. */
  RouterContribution,
  /** Contributions: every command-line command. */
  CliCommand,
  /** Contributions: every task of Hop3's own schedule. */
  MaintenanceTask,
  /** Contributions: every kind of addon (PostgreSQL, Redis). */
  Addon,
  /** Service: runs programs (per operation: with its logger, signal and the distribution's env). */
  CommandRunner,
  /** Service: where progress goes (per operation: the one the caller gave). */
  Logger,
  /** Service: the operation's AbortSignal. */
  Signal,
  /** Service: what time it is (release ids, records). */
  Clock,
  /** Service: reads and writes Hop3's JSON state files. */
  StateStore,
  /** Service: asks HTTP servers (health checks). */
  HttpClient,
  /** Service: the distribution's proxy. */
  Router,
  /** Service: the variables of an app's addons, for `[env]` references (`AddonEnvSource`; core's knows none). */
  AddonEnv,
} as const);
