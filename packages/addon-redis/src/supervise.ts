import { existsSync, readdirSync } from "node:fs";
import { rotateInPlace, type Addon, type MaintenanceTask } from "@hop3/core";
import { redisLayout, redisRoot } from "./layout.js";
import { findServer } from "./server.js";

/** Whether any instance was made in this HOP3_HOME (each has a secrets file beside the admin password). */
export function hasInstances(home: string): boolean {
  const { secrets } = redisLayout(home);
  return existsSync(secrets) && readdirSync(secrets).some((name) => name.endsWith(".json"));
}

/** The server's log, rotated past 10 MiB (3 copies kept): redis-server opens it for each line, so a rename-free rotation is enough. */
const LOG_ROTATION = { maxBytes: 10 * 1024 * 1024, keep: 3 };

/**
 * Keeps the server up while instances exist: `hop3 server maintain` runs every minute, so a
 * server that crashed, or did not come back after a reboot, is started again within a minute; its
 * log is kept within bounds. Nothing to do (not even a redis-server to have) in a home without
 * instances.
 */
export function supervisionTask(addon: Addon): MaintenanceTask {
  return {
    apiVersion: 1,
    name: "redis-supervision",
    async run(distribution, context) {
      if (!existsSync(redisRoot(distribution.home))) return []; // Redis never used in this home
      const layout = redisLayout(distribution.home);
      const done = rotateInPlace(layout.logFile, LOG_ROTATION) ? ["redis.log rotated"] : [];
      if (!hasInstances(distribution.home) || findServer(layout) !== undefined) return done;
      await addon.ensureRunning(context);
      return [...done, `redis-server was not running: started (pid ${findServer(layout) ?? "unknown"})`];
    },
  };
}
