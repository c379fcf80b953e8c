export { createCli, runningProgram, EXIT, type Cli, type CliOptions } from "./create-cli.js";
export { parseCommandArgs, parseAssignments, usageLine, commandHelp, type CommandDeclaration } from "./args.js";
export { processIO, colors, type CliIO, type OutputStream } from "./io.js";
export { memoryIO } from "./memory-io.js";
export type { RemoteSupport, RemoteRouteRequest, RemoteRoute } from "./remote.js";
export { appCommands } from "./commands/index.js";
export { renderSteps, createReporter, type StepReporter } from "./reporter.js";
export { asWriteFailure, cliKitError, cliKitErrorCatalog, type CliKitErrorCode } from "./errors.js";
export { readPluginSettings, type PluginSettings } from "./plugin-settings.js";
// The command contract is core's (plugins depend on core only); these are its names in a program.
export {
  defineCliCommand as defineCommand,
  UsageError,
  type CliCommand as Command,
  type CliCommandInput as CommandInput,
  type CliCommandOutcome as CommandOutcome,
  type CliOptionSpec as OptionSpec,
  type ParsedArgs,
} from "@hop3/core/cli";
