import { createCli, type Cli } from "@hop3/cli";
import { createNixDistribution, distributionVersion, PROGRAM } from "./distribution.js";

/**
 * The `hop3-nix` program: the built-in commands of @hop3/cli over the Nix-only distribution.
 * Plugins named at run time (package.json `hop3.plugins`, HOP3_PLUGINS) resolve from the project,
 * then from where this package is installed.
 */
export function createNixCli(env: Readonly<Record<string, string | undefined>> = process.env): Cli {
  return createCli(async () => createNixDistribution(env), {
    name: PROGRAM,
    version: distributionVersion(),
    pluginsFrom: import.meta.url,
    bugReportUrl: "https://github.com/abilian/hop3-builders/issues",
  });
}
