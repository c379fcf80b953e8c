import { createRequire } from "node:module";
import { definePlugin, type Hop3Plugin } from "@hop3/core";
import { createNixBuilder } from "./builder.js";
import { PACKAGE_NAME, type NixBuilderOptions } from "./options.js";
import { createDistributedCommands } from "./distributed/commands.js";
import { createValidateCommand } from "./validate-command.js";

/**
 * The @hop3/builder-nix plugin: registers the Nix builder (priority 10, asked before Docker and
 * Local) the `hop3 nix validate` command and the `hop3 nix` commands of distributed builds
 * (builders, cache, key, trust, check). Options are validated at once.
 *
 * @example
 * const distribution = createDistribution({ plugins: [nixPlugin({ timeoutSeconds: 600 })] });
 */
export function nixPlugin(options?: NixBuilderOptions): Hop3Plugin {
  const builder = createNixBuilder(options);
  const validate = createValidateCommand(options);
  return definePlugin({
    name: PACKAGE_NAME,
    apiVersion: 1,
    version: packageVersion(),
    description: "Builds apps from hop3.nix with the real nix-build",
    requirements: [
      {
        id: "nix",
        program: "nix-build",
        debianPackages: ["nix-bin"],
        enables: "apps with a hop3.nix",
        manualInstall: "Install Nix from https://nixos.org/download (`--daemon` where systemd runs, `--no-daemon` otherwise).",
      },
    ],
    register(registry) {
      registry.addBuilder(builder);
      registry.addCliCommand(validate);
      for (const command of createDistributedCommands()) registry.addCliCommand(command);
    },
  });
}

/** Same as `nixPlugin`, named like the other factories. */
export const createNixPlugin = nixPlugin;

// Read when a plugin is made, not at import: the package stays free of import-time side effects.
// src/ and dist/ both sit one level below package.json.
const packageVersion = (): string => (createRequire(import.meta.url)("../package.json") as { version: string }).version;
