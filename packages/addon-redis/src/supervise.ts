import { existsSync, readdirSync } from "node:fs";
import type { Addon, MaintenanceTask } from "@hop3/core";
import { redisLayout } from "./layout.js";
import { findServer } from "./server.js";

/** Whether any instance was made in this HOP3_HOME (each has a secrets file beside the admin password). */
export function hasInstances(home: string): boolean {
  const { secrets } = redisLayout(home);
  return existsSync(secrets) && readdirSync(secrets).some((name) => name.endsWith(".json"));
}

/**
 * Keeps the server up while instances exist: `hop3 server maintain` runs every minute, so a
 * server that crashed, or did not come back after a reboot, is started again within a minute.
 * Nothing to do (not even a redis-server to have) in a home without instances.
 */
export function supervisionTask(addon: Addon): MaintenanceTask {
  return {
    apiVersion: 1,
    name: "redis-supervision",
    async run(distribution, context) {
      if (!hasInstances(distribution.home)) return [];
      if (findServer(redisLayout(distribution.home)) !== undefined) return [];
      await addon.ensureRunning(context);
      return [`redis-server was not running: started (pid ${findServer(redisLayout(distribution.home)) ?? "unknown"})`];
    },
  };
}
