import { createRequire } from "node:module";
import { definePlugin, type Hop3Plugin } from "@hop3/core";
import { createSwarmDeployer } from "./deployer.js";
import { PACKAGE_NAME, type SwarmDeployerOptions } from "./options.js";

/**
 * The @hop3/deployer-swarm plugin: registers the Swarm deployer for container images. A
 * distribution that lists it before the uWSGI deployer runs its Docker apps on Swarm.
 *
 * @example
 * const distribution = createDistribution({ plugins: [swarmDeployerPlugin({ registry: "127.0.0.1:5000" }), uwsgiDeployerPlugin()] });
 */
export function swarmDeployerPlugin(options?: SwarmDeployerOptions): Hop3Plugin {
  const deployer = createSwarmDeployer(options);
  return definePlugin({
    name: PACKAGE_NAME,
    apiVersion: 1,
    version: packageVersion(),
    description: "Runs container images as Docker Swarm services",
    requirements: [
      {
        id: "docker",
        program: "docker",
        debianPackages: ["docker.io"],
        enables: "apps run as Swarm services",
        manualInstall: "Install Docker Engine (https://docs.docker.com/engine/install/); Swarm mode ships with it.",
      },
      {
        id: "go",
        program: "go",
        debianPackages: ["golang-go"],
        enables: "hop3-run, the small program added to each app's service image",
        manualInstall: "Install Go 1.19 or later (https://go.dev/doc/install).",
      },
      {
        id: "docker-registry",
        program: "docker-registry",
        debianPackages: ["docker-registry"],
        enables: "Hop3's own registry, which the swarm's nodes pull the apps' images from",
        // Not needed where the `registry` option names one of your own.
        level: "optional",
        manualInstall: "Install the CNCF distribution registry (https://distribution.github.io/distribution/) as docker-registry on PATH, or give a registry of your own (the `registry` option).",
      },
    ],
    register(registry) {
      registry.addDeployer(deployer);
    },
  });
}

// Read when a plugin is made, not at import: the package stays free of import-time side effects.
// src/ and dist/ both sit one level below package.json.
const packageVersion = (): string => (createRequire(import.meta.url)("../package.json") as { version: string }).version;
