import { createRequire } from "node:module";
import { definePlugin, type Hop3Plugin } from "@hop3/core";
import { certsCommands } from "./commands.js";
import { renewalTask } from "./maintenance.js";
import { PACKAGE_NAME, resolveTlsSettings, type TlsOptions } from "./options.js";

/**
 * The @hop3/tls plugin: the `hop3 certs` commands, which get and renew the certificates the router
 * serves over HTTPS, and their renewal on Hop3's own schedule (`hop3 server maintain`). Options are validated at once; the environment (HOP3_ACME_*) is read when a
 * command runs, from the environment the program was given.
 *
 * @example
 * const distribution = createDistribution({ plugins: [nginxRouterPlugin(), tlsPlugin({ staging: true })] });
 */
export function tlsPlugin(options?: TlsOptions): Hop3Plugin {
  resolveTlsSettings(options, {});
  return definePlugin({
    name: PACKAGE_NAME,
    apiVersion: 1,
    version: packageVersion(),
    description: "HTTPS for every app: ACME certificates for public names, a local CA for local ones, renewed by `hop3 certs renew`",
    register(registry) {
      for (const command of certsCommands(options)) registry.addCliCommand(command);
      registry.addMaintenanceTask(renewalTask(options));
    },
  });
}

// Read when a plugin is made, not at import: the package stays free of import-time side effects.
const packageVersion = (): string => (createRequire(import.meta.url)("../package.json") as { version: string }).version;
