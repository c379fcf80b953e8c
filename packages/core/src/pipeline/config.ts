import { checkEnvKey } from "../env-key.js";
import { requireAppRecord, writeAppRecord } from "./app-record.js";
import type { CoreDistribution } from "./core-distribution.js";
import { lockApp } from "./lock.js";

/** The values set for the app (`hop3 config`), unmasked. */
export function appEnv(distribution: CoreDistribution, app: string): Readonly<Record<string, string>> {
  return requireAppRecord(distribution.home, app).userEnv;
}

/**
 * Sets (a string) or removes (undefined) values of the app, under its lock, and returns all of
 * them. They apply on the app's next start or restart.
 */
export function changeEnv(distribution: CoreDistribution, app: string, changes: Readonly<Record<string, string | undefined>>, operation: string): Readonly<Record<string, string>> {
  requireAppRecord(distribution.home, app);
  for (const key of Object.keys(changes)) checkEnvKey(key);
  // Read again under the lock: a deploy running meanwhile may have changed the record.
  const unlock = lockApp(distribution.home, app, operation);
  try {
    const current = requireAppRecord(distribution.home, app);
    const env: Record<string, string> = { ...current.userEnv };
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) delete env[key];
      else env[key] = value;
    }
    return writeAppRecord(distribution.home, { ...current, userEnv: env }).userEnv;
  } finally {
    unlock();
  }
}
