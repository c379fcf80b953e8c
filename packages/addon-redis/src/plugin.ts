import { createRequire } from "node:module";
import { definePlugin, type Hop3Plugin } from "@hop3/core";
import { createRedisAddon } from "./addon.js";
import { PACKAGE_NAME, type RedisAddonOptions } from "./options.js";
import { supervisionTask } from "./supervise.js";

/**
 * The @hop3/addon-redis plugin: registers the Redis addon, and the maintenance task that starts its
 * server again when it stopped while instances exist. Options are validated at once.
 *
 * @example
 * const distribution = createDistribution({ plugins: [redisAddonPlugin({ port: 6380 })] });
 */
export function redisAddonPlugin(options?: RedisAddonOptions, env: Readonly<Record<string, string | undefined>> = process.env): Hop3Plugin {
  const addon = createRedisAddon(options, env);
  return definePlugin({
    name: PACKAGE_NAME,
    apiVersion: 1,
    version: packageVersion(),
    description: "Redis for apps: one redis-server per HOP3_HOME, an ACL user and key prefix per instance",
    requirements: [
      {
        id: "redis",
        program: "redis-server",
        debianPackages: ["redis-server"],
        enables: "Redis addons (`hop3 addons create redis NAME`)",
        level: "optional",
        manualInstall: "Install redis-server 7 or newer from your system's packages (https://redis.io/docs/latest/operate/oss_and_stack/install/).",
      },
    ],
    register(registry) {
      registry.addAddon(addon);
      registry.addMaintenanceTask(supervisionTask(addon));
    },
  });
}

// Read when a plugin is made, not at import: the package stays free of import-time side effects.
const packageVersion = (): string => (createRequire(import.meta.url)("../package.json") as { version: string }).version;
