import { existsSync } from "node:fs";
import { join } from "node:path";
import { z } from "../vendor/zod.js";
import type { AppSource } from "../app.js";
import { planEnv, settleEnv, type AddonEnvSource, type EnvPlan, type GeneratedValue } from "../env-references.js";
import { writeJsonAtomic } from "../fs.js";
import { appStateDir } from "../home.js";
import { readAppRecord, readStateFile } from "./app-record.js";
import type { CoreDistribution } from "./core-distribution.js";

/**
 * `<home>/apps/<app>/secrets.json`: the values generated for the app's `[env]`, made once and
 * kept across deploys, rollbacks and restarts; root's, 0600 (writeJsonAtomic), like app.json.
 * Removed with the app by `destroy`.
 */
const secretsPath = (home: string, app: string) => join(appStateDir(home, app), "secrets.json");

// A list rather than a record: a variable named __proto__ survives parsing.
export const SecretsFileSchema = z.object({
  generated: z.array(
    z.object({
      name: z.string(),
      value: z.string(),
      generator: z.enum(["hex", "base64", "urlsafe", "password", "uuid"]),
      length: z.number().int().positive(),
      prefix: z.string(),
      createdAt: z.string(),
    }),
  ),
});

/** The values generated for the app at earlier deploys, by variable. */
export function readGeneratedValues(home: string, app: string): Readonly<Record<string, GeneratedValue>> {
  const path = secretsPath(home, app);
  if (!existsSync(path)) return {};
  return Object.fromEntries(readStateFile(path, SecretsFileSchema, { app }).generated.map(({ name, ...value }) => [name, value]));
}

/** What plan() knows of the app on this server besides its directory. */
export interface EnvPlanContext {
  /** Values about to be set with the deploy (`deploy --env`): they win over references too. */
  readonly env?: Readonly<Record<string, string>>;
  readonly addons: AddonEnvSource;
}

/**
 * How each `[env]` reference of the app resolves here: the app's facts, its record's values set
 * with `hop3 config set`, the values generated at earlier deploys, its addons. Reads state only.
 */
export async function planAppEnv(distribution: Pick<CoreDistribution, "home" | "router">, app: AppSource, context: EnvPlanContext): Promise<EnvPlan> {
  const references = app.config.deferredEnv;
  if (Object.keys(references).length === 0) return { entries: [], warnings: [] };
  const record = recordOrNone(distribution.home, app.name);
  const host = record?.domains[0] ?? `${app.name}.localhost`;
  // The URL is asked of the router only when referenced: a distribution may have none.
  const facts = {
    name: app.name,
    host,
    domain: host,
    get url() {
      return withHost(distribution.router().urlFor(app.name), host);
    },
  };
  return planEnv({
    app: app.name,
    toml: app.config.toml,
    references,
    facts,
    userEnv: { ...record?.userEnv, ...context.env },
    generated: readGeneratedValues(distribution.home, app.name),
    addons: context.addons,
  });
}

/** A record that cannot be read is written anew by the deploy (see deploy.ts): it holds nothing to plan with. */
function recordOrNone(home: string, app: string) {
  try {
    return readAppRecord(home, app);
  } catch {
    return undefined;
  }
}

/** The router's URL for the app, on the app's host (its first domain, when it has one). */
const withHost = (url: string, host: string) => {
  const parsed = new URL(url);
  parsed.hostname = host;
  return parsed.toString();
};

/**
 * The app's environment for a deploy: hop3.toml's plain values and its references resolved, the
 * generated values made now kept with the app's state first (under the app's lock, held by the
 * deploy). Returns the names made, to say so (never their values).
 */
export function settleAppEnv(home: string, app: AppSource, plan: EnvPlan, now: Date): { readonly env: Readonly<Record<string, string>>; readonly made: readonly string[] } {
  const { env, made } = settleEnv(plan, now);
  if (Object.keys(made).length > 0) {
    const generated = { ...readGeneratedValues(home, app.name), ...made };
    writeJsonAtomic(secretsPath(home, app.name), { generated: Object.entries(generated).map(([name, value]) => ({ name, ...value })) });
  }
  return { env: { ...app.config.env, ...env }, made: Object.keys(made) };
}
