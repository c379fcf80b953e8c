export { createCli, runningProgram, EXIT, type Cli, type CliOptions } from "./create-cli.js";
export { builtInCommands } from "./commands/index.js";
export { defineCommand, type Command, type CommandInput, type CommandOutcome } from "./command.js";
export { loadDefaultDistribution } from "./default-distribution.js";
export { processIO, type CliIO, type OutputStream } from "./io.js";
export { UsageError } from "./usage-error.js";
export { cliErrorCatalog, type CliErrorCode } from "./errors.js";
export { CLI_VERSION } from "./version.js";
