import { createCli as createProgram, type Cli, type CliOptions } from "@hop3/cli-kit";
import { builtInCommands } from "./commands/index.js";

/**
 * `createCli` of @hop3/cli-kit with Hop3's built-in commands (unless `commands` says otherwise),
 * and run-time plugins looked for from where @hop3/cli is installed (unless `pluginsFrom` says).
 */
export function createCli(distribution: Parameters<typeof createProgram>[0], options: CliOptions): Cli {
  return createProgram(distribution, { ...options, commands: options.commands ?? builtInCommands, pluginsFrom: options.pluginsFrom ?? import.meta.url });
}
