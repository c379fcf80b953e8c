import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "../vendor/zod.js";
import { coreError } from "../error-codes.js";
import { writeJsonAtomic } from "../fs.js";
import { appStateDir } from "../home.js";
import type { AppLimits } from "../host/limits.js";
import type { Healthcheck } from "../schemas/artifact.js";
import { isValidAppName } from "../schemas/names.js";

/**
 * What Hop3 remembers of an app between operations, in `<home>/apps/<app>/app.json`: where it came
 * from, what the user set, and which release is live. Written atomically; plugins keep their own
 * files beside it.
 */
export interface AppRecord {
  readonly name: string;
  /** The directory it was last deployed from. */
  readonly source: string;
  /** hop3.toml [env] of the live release. */
  readonly appEnv: Readonly<Record<string, string>>;
  /** Values set with `Distribution.setEnv` (`hop3 config set`, `deploy --env`). */
  readonly userEnv: Readonly<Record<string, string>>;
  readonly scale: Readonly<Record<string, number>>;
  readonly domains: readonly string[];
  /** Those of `domains` the live release's hop3.toml `[domains]` declared (the others were added by hand). */
  readonly declaredDomains?: readonly string[];
  /** Id of the live release, when one is. */
  readonly liveRelease?: string;
  /** Seconds a new release may take to answer (hop3.toml [run] start-timeout). */
  readonly startTimeoutSeconds?: number;
  /** hop3.toml [healthcheck], used when the artifact brings none. */
  readonly healthcheck?: Healthcheck;
  /** What the live release may use: its hop3.toml [limits] within the server's maximum, else the server's defaults. */
  readonly limits?: AppLimits;
  /** The variables each attached addon instance gives the app, by instance (kept by attach, detach and deploy). */
  readonly addonEnv?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly updatedAt: string;
}

/** An app record before it is written (writing stamps `updatedAt`). */
export type AppRecordDraft = Omit<AppRecord, "updatedAt">;

const StringMapSchema = z.record(z.string(), z.string());

/** hop3.toml [healthcheck] as kept in Hop3's state (the published format is the artifact's TypeBox schema). */
export const HealthcheckStateSchema = z.object({
  path: z.string().startsWith("/"),
  timeoutSeconds: z.number().positive().optional(),
  intervalSeconds: z.number().positive().optional(),
  retries: z.number().int().min(0).optional(),
  contains: z.string().optional(),
});

/** Resolved limits as kept in Hop3's state. */
export const LimitsStateSchema = z.object({
  memoryBytes: z.number().positive().optional(),
  cpus: z.number().positive().optional(),
  processes: z.number().int().positive().optional(),
  openFiles: z.number().int().positive().optional(),
});

/** app.json: internal state, read through this schema (unknown keys of other versions are dropped, not fatal). */
export const AppRecordSchema: z.ZodType<AppRecord> = z.object({
  name: z.string(),
  source: z.string(),
  appEnv: StringMapSchema,
  userEnv: StringMapSchema,
  scale: z.record(z.string(), z.number().int().min(0)),
  domains: z.array(z.string()),
  declaredDomains: z.array(z.string()).optional(),
  liveRelease: z.string().optional(),
  startTimeoutSeconds: z.number().positive().optional(),
  healthcheck: HealthcheckStateSchema.optional(),
  limits: LimitsStateSchema.optional(),
  addonEnv: z.record(z.string(), StringMapSchema).optional(),
  updatedAt: z.string(),
});

const recordPath = (home: string, app: string) => join(appStateDir(home, app), "app.json");

/** The app's record; undefined when it has none; APP_STATE_CORRUPT when the file does not hold one. */
export function readAppRecord(home: string, app: string): AppRecord | undefined {
  if (!isValidAppName(app)) return undefined;
  const path = recordPath(home, app);
  if (!existsSync(path)) return undefined;
  return readStateFile(path, AppRecordSchema, { app }, (record) => (record.name === app ? undefined : `it names app "${record.name}"`));
}

/** The app's record, or APP_NOT_FOUND naming it. */
export function requireAppRecord(home: string, app: string): AppRecord {
  const record = readAppRecord(home, app);
  if (!record) throw appNotFound(home, app);
  return record;
}

export function appNotFound(home: string, app: string) {
  return coreError("APP_NOT_FOUND", `There is no app named "${app}" in ${home}.`, { details: { app, home } });
}

export function writeAppRecord(home: string, record: AppRecordDraft): AppRecord {
  const full = { ...withoutUpdatedAt(record as AppRecord), updatedAt: new Date().toISOString() };
  writeJsonAtomic(recordPath(home, record.name), full);
  return full;
}

export function withoutUpdatedAt(record: AppRecord | AppRecordDraft): AppRecordDraft {
  const { updatedAt: _updatedAt, ...rest } = record as AppRecord;
  return rest;
}

/** An app in the list: its record, or why its record cannot be read (listed, not fatal). */
export type ListedApp = AppRecord | { readonly name: string; readonly corrupt: string };

/** Every app with a record, sorted by name. */
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

/**
 * A JSON state file through its schema: not JSON, or not of the schema, or failing `check`, is
 * APP_STATE_CORRUPT naming the file and what is wrong.
 */
export function readStateFile<T>(path: string, schema: z.ZodType<T>, details: Record<string, unknown>, check?: (value: T) => string | undefined): T {
  const corrupt = (why: string, cause?: unknown) =>
    coreError("APP_STATE_CORRUPT", `${path} cannot be read: ${why}.`, { ...(cause !== undefined && { cause }), details: { ...details, file: path } });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw corrupt((error as Error).message, error);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw corrupt(`${issue.path.map(String).join(".") || "the content"}: ${issue.message}`);
  }
  const problem = check?.(parsed.data);
  if (problem !== undefined) throw corrupt(problem);
  return parsed.data;
}
