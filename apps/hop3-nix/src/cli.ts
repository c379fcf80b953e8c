import { createCli } from "@hop3/cli";
import type { Cli } from "@hop3/cli-kit";
import { createNixDistribution, distributionVersion, PROGRAM } from "./distribution.js";

/**
 * The `hop3-nix` program: the built-in commands of @hop3/cli over the Nix-only distribution.
 * Plugins named at run time (Hop3's config file `plugins`, HOP3_PLUGINS) resolve from the config
 * file's directory, then from where this package is installed. `hop3Command` (the bin gives
 * `runningProgram()`) lets Hop3's own schedule run it again to rotate logs.
 */
export function createNixCli(env: Readonly<Record<string, string | undefined>> = process.env, hop3Command?: readonly string[]): Cli {
  return createCli(async () => createNixDistribution(env), {
    ...(hop3Command && { hop3Command }),
    name: PROGRAM,
    version: distributionVersion(),
    pluginsFrom: import.meta.url,
    bugReportUrl: "https://github.com/abilian/hop3-builders/issues",
  });
}
