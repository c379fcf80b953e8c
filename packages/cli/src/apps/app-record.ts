import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { appStateDir, isValidAppName, writeJsonAtomic, type AppLimits, type Healthcheck } from "@hop3/core";
import { cliError } from "../errors.js";

/**
 * What Hop3 remembers of an app between commands, in `<home>/apps/<app>/app.json`: where it came
 * from, what the user set, and which release is live. Written atomically; plugins keep their own
 * files beside it.
 */
export interface AppRecord {
  readonly name: string;
  /** The directory it was last deployed from. */
  readonly source: string;
  /** hop3.toml [env] of the live release. */
  readonly appEnv: Readonly<Record<string, string>>;
  /** Values set with `hop3 config set` or `deploy --env`. */
  readonly userEnv: Readonly<Record<string, string>>;
  readonly scale: Readonly<Record<string, number>>;
  readonly domains: readonly string[];
  /** Id of the live release, when one is. */
  readonly liveRelease?: string;
  /** Seconds a new release may take to answer (hop3.toml [run] start-timeout). */
  readonly startTimeoutSeconds?: number;
  /** hop3.toml [healthcheck], used when the artifact brings none. */
  readonly healthcheck?: Healthcheck;
  /** What the live release may use: its hop3.toml [limits] within the server's maximum, else the server's defaults. */
  readonly limits?: AppLimits;
  readonly updatedAt: string;
}

const recordPath = (home: string, app: string) => join(appStateDir(home, app), "app.json");

export function readAppRecord(home: string, app: string): AppRecord | undefined {
  if (!isValidAppName(app)) return undefined;
  const path = recordPath(home, app);
  if (!existsSync(path)) return undefined;
  try {
    const record = JSON.parse(readFileSync(path, "utf8")) as AppRecord;
    if (record.name !== app || typeof record.userEnv !== "object" || typeof record.scale !== "object") throw new Error("unexpected content");
    return record;
  } catch (error) {
    throw cliError("APP_STATE_CORRUPT", `${path} cannot be read: ${(error as Error).message}.`, { cause: error, details: { app, file: path } });
  }
}

/** The app's record, or APP_NOT_FOUND naming it. */
export function requireAppRecord(home: string, app: string): AppRecord {
  const record = readAppRecord(home, app);
  if (!record) throw cliError("APP_NOT_FOUND", `There is no app named "${app}" in ${home}.`, { details: { app, home } });
  return record;
}

export function writeAppRecord(home: string, record: Omit<AppRecord, "updatedAt">): AppRecord {
  const full = { ...record, updatedAt: new Date().toISOString() };
  writeJsonAtomic(recordPath(home, record.name), full);
  return full;
}

/** Every app with a record, sorted by name; a record that cannot be read is listed as such, not fatal. */
export type ListedApp = AppRecord | { readonly name: string; readonly corrupt: string };

export function listAppRecords(home: string): ListedApp[] {
  const dir = join(home, "apps");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name): ListedApp[] => {
      try {
        const record = readAppRecord(home, name);
        return record ? [record] : [];
      } catch (error) {
        return [{ name, corrupt: (error as Error).message }];
      }
    });
}
