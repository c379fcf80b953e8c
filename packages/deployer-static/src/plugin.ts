import { createRequire } from "node:module";
import { definePlugin, type Hop3Plugin } from "@hop3/core";
import { createStaticDeployer } from "./deployer.js";

/** The package name, used as the plugin name. */
export const PACKAGE_NAME = "@hop3/deployer-static";

/**
 * The @hop3/deployer-static plugin: registers the deployer of `static` artifacts. It routes through
 * the distribution's router (register @hop3/router-nginx too).
 *
 * @example
 * const distribution = createDistribution({ plugins: [nginxRouterPlugin(), staticDeployerPlugin()] });
 */
export function staticDeployerPlugin(): Hop3Plugin {
  const deployer = createStaticDeployer();
  return definePlugin({
    name: PACKAGE_NAME,
    apiVersion: 1,
    version: packageVersion(),
    description: "Serves static artifacts through the router, with no process",
    register(registry) {
      registry.addDeployer(deployer);
    },
  });
}

// Read when a plugin is made, not at import: the package stays free of import-time side effects.
// src/ and dist/ both sit one level below package.json.
const packageVersion = (): string => (createRequire(import.meta.url)("../package.json") as { version: string }).version;
