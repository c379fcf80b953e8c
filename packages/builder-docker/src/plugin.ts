import { createRequire } from "node:module";
import { definePlugin, type Hop3Plugin } from "@hop3/core";
import { createDockerBuilder } from "./builder.js";
import { PACKAGE_NAME, type DockerBuilderOptions } from "./options.js";

/**
 * The @hop3/builder-docker plugin: registers the Docker builder (priority 20, asked after Nix and
 * before Local). Its artifacts (kind `docker-image`) run under any deployer that runs command
 * workers and declares that kind. Options are validated at once.
 *
 * @example
 * const distribution = createDistribution({ plugins: [dockerPlugin({ timeoutSeconds: 600 })] });
 */
export function dockerPlugin(options?: DockerBuilderOptions): Hop3Plugin {
  const builder = createDockerBuilder(options);
  return definePlugin({
    name: PACKAGE_NAME,
    apiVersion: 1,
    version: packageVersion(),
    description: "Builds apps from their Dockerfile with the Docker engine",
    // Optional: a machine without a Docker engine still deploys every other kind of app.
    requirements: [
      {
        id: "docker",
        program: "docker",
        debianPackages: ["docker.io"],
        enables: "apps with a Dockerfile",
        level: "optional",
        manualInstall: "Install the Docker engine (https://docs.docker.com/engine/install/) and start it.",
      },
    ],
    register(registry) {
      registry.addBuilder(builder);
    },
  });
}

/** Same as `dockerPlugin`, named like the other factories. */
export const createDockerPlugin = dockerPlugin;
/** The name the brief of the Hop3 distribution uses. */
export const dockerBuilderPlugin = dockerPlugin;

// Read when a plugin is made, not at import: the package stays free of import-time side effects.
const packageVersion = (): string => (createRequire(import.meta.url)("../package.json") as { version: string }).version;
