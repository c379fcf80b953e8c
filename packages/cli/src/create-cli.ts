import { createCli as createProgram, type Cli, type CliOptions } from "@hop3/cli-kit";
import { sshEntryCommands } from "@hop3/ssh-access";
import { builtInCommands } from "./commands/index.js";

/**
 * `createCli` of @hop3/cli-kit with Hop3's built-in commands (unless `commands` says otherwise),
 * and run-time plugins looked for from where @hop3/cli is installed (unless `pluginsFrom` says).
 * sshd's forced command and git's receive hook (hidden) run their command lines through this same program.
 */
export function createCli(distribution: Parameters<typeof createProgram>[0], options: CliOptions): Cli {
  const cli: Cli = createProgram(distribution, {
    ...options,
    commands: [...(options.commands ?? builtInCommands), ...sshEntryCommands((argv, io) => cli.run(argv, io))],
    pluginsFrom: options.pluginsFrom ?? import.meta.url,
  });
  return cli;
}
