// `@hop3/core/cli`: what a command-line program needs before it composes a distribution (the
// command contract, errors, steps, names, the host helpers of a remote's two ends), without the
// modules that load zod, TypeBox, tsyringe or smol-toml. Every `hop3` run pays for what its entry
// imports (a client that only forwards a command over SSH, `hop3 deploy --receive` on the server),
// so the shell and @hop3/remote import from here and load the main entry when they need the
// pipeline. Each name here is the main entry's own; test/cli-entry.test.ts keeps this entry light.
export { Hop3Error, defineErrors, type ErrorCatalog, type ErrorCodeInfo, type ErrorFactory, type ErrorOptions, type Hop3ErrorInit } from "./errors.js";
export { coreErrorCatalog, type CoreErrorCode } from "./error-codes.js";
export { silentLogger, type Logger } from "./logger.js";
export { createSteps, ignoreSteps, type StepEvent, type StepSink, type Steps } from "./pipeline/events.js";
export {
  defineCliCommand,
  UsageError,
  type CliCommand,
  type CliCommandDefinition,
  type CliCommandInput,
  type CliCommandOutcome,
  type CliIO,
  type CliOption,
  type CliOptionSpec,
  type CliPositional,
  type OutputStream,
  type ParsedArgs,
  type StepReporter,
} from "./contracts/cli-command.js";
export { checkEnvKey } from "./env-key.js";
export { checkDomain, MAX_DOMAINS } from "./domain-names.js";
export { APP_NAME_PATTERN, ENV_NAME_PATTERN, HOST_NAME_PATTERN, isValidAppName, isValidHostName, isValidEnvName, toAppName } from "./schemas/names.js";
export { lockApp } from "./pipeline/lock.js";
export { replaceAppSource } from "./pipeline/app-source.js";
export { tailLines, LogFollower } from "./pipeline/worker-logs.js";
export { limitsText, readableSize } from "./pipeline/limits-text.js";
export { describeEnvEntry, describeEnvReference } from "./env-references.js";
export { releaseRefusal } from "./planning.js";
export { loadPlugin, loadPlugins, PLUGIN_EXPORTS, type LoadedPlugin, type LoadPluginOptions, type PluginRequest } from "./plugin-loader.js";
export { runCommand, type CommandResult, type CommandRunner, type RunOptions } from "./command.js";
export { writeFileAtomic, writeJsonAtomic } from "./fs.js";
export { findProgram } from "./programs.js";
export { resolveHop3Home, SYSTEM_HOME } from "./home.js";
export { ensureAppUser, lookupUser, runsAsRoot, type AppUser, type UserScope } from "./host/users.js";
export { prepareHome, prepareAppDirs, ensureDir, appDirsOf, type AppDirs } from "./host/home-layout.js";
export { LIMIT_NAMES, parseSize, formatSize } from "./host/limits.js";
export { tryLockFile, withLockFile, type LockAttempt } from "./host/lock-file.js";
export { sleep, waitUntil } from "./host/waiting.js";
export { shellQuote } from "./host/shell-quote.js";
export { sshLoginOf, type SshLogin } from "./host/ssh-login.js";
