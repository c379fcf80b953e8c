export { createCli } from "./create-cli.js";
export { builtInCommands } from "./commands/index.js";
export { loadDefaultDistribution } from "./default-distribution.js";
export { cliErrorCatalog, type CliErrorCode } from "./errors.js";
export { CLI_VERSION } from "./version.js";
// The shell is @hop3/cli-kit's; its names stay available here for programs written against @hop3/cli.
export {
  runningProgram,
  EXIT,
  defineCommand,
  processIO,
  UsageError,
  type Cli,
  type CliOptions,
  type Command,
  type CommandInput,
  type CommandOutcome,
  type CliIO,
  type OutputStream,
} from "@hop3/cli-kit";
