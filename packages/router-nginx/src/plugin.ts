import { createRequire } from "node:module";
import { definePlugin, type Hop3Plugin } from "@hop3/core";
import { PACKAGE_NAME, type NginxRouterOptions } from "./options.js";
import { createNginxRouter } from "./router.js";

/**
 * The @hop3/router-nginx plugin: registers the nginx router that the deployers route apps
 * through. Options are validated at once.
 *
 * @example
 * const distribution = createDistribution({ plugins: [nginxRouterPlugin({ httpPort: 8080 })] });
 */
export function nginxRouterPlugin(options?: NginxRouterOptions, env: Readonly<Record<string, string | undefined>> = process.env): Hop3Plugin {
  const router = createNginxRouter(options, env);
  return definePlugin({
    name: PACKAGE_NAME,
    apiVersion: 1,
    version: packageVersion(),
    description: "Routes apps by host name through Hop3's own nginx and serves static directories",
    requirements: [
      {
        id: "nginx",
        program: "nginx",
        debianPackages: ["nginx"],
        enables: "every app (routing and static files)",
        manualInstall: "Install nginx 1.18 or newer from your system's packages (https://nginx.org/en/linux_packages.html).",
      },
    ],
    register(registry) {
      registry.addRouter(router);
    },
  });
}

// Read when a plugin is made, not at import: the package stays free of import-time side effects.
// src/ and dist/ both sit one level below package.json.
const packageVersion = (): string => (createRequire(import.meta.url)("../package.json") as { version: string }).version;
