import { createRequire } from "node:module";
import { definePlugin, type Hop3Plugin } from "@hop3/core";
import { createPostgresAddon } from "./addon.js";
import { PACKAGE_NAME, type PostgresAddonOptions } from "./options.js";

/**
 * The @hop3/addon-postgres plugin: registers the `postgres` addon kind (alias `postgresql`).
 * Options are validated at once.
 *
 * @example
 * const distribution = createDistribution({ plugins: [postgresAddonPlugin({ port: 5433 })] });
 */
export function postgresAddonPlugin(options?: PostgresAddonOptions, env: Readonly<Record<string, string | undefined>> = process.env): Hop3Plugin {
  const addon = createPostgresAddon(options, env);
  return definePlugin({
    name: PACKAGE_NAME,
    apiVersion: 1,
    version: packageVersion(),
    description: "PostgreSQL databases for apps: one PostgreSQL 15 server per HOP3_HOME, a database and roles per addon",
    requirements: [
      {
        id: "postgres",
        program: "psql",
        debianPackages: ["postgresql-15"],
        enables: "PostgreSQL addons (`hop3 addons create postgres NAME`, hop3.toml [[addons]] type = \"postgres\")",
        level: "opt-in",
        manualInstall: "Install PostgreSQL 15's server (Debian and Ubuntu: postgresql-15) and give the directory of its programs in the plugin's binDir option.",
      },
    ],
    register(registry) {
      registry.addAddon(addon);
    },
  });
}

// Read when a plugin is made, not at import: the package stays free of import-time side effects.
const packageVersion = (): string => (createRequire(import.meta.url)("../package.json") as { version: string }).version;
