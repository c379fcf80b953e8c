import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "./vendor/zod.js";
import { coreError } from "./error-codes.js";
import { DEFAULT_LIMITS, defaultMaxLimits, parseSize, toLimits, type AppLimits } from "./host/limits.js";

/** How worker, proxy and supervisor logs are kept. */
export interface LogSettings {
  /** A log is rotated once it is larger than this, in bytes. */
  readonly maxBytes: number;
  /** Rotated files kept per log (`<log>.1` newest). */
  readonly keep: number;
  /** What one app's worker logs may take in all, rotated files included, in bytes. */
  readonly appCapBytes: number;
}

export const DEFAULT_LOG_SETTINGS: LogSettings = { maxBytes: 10 * 1024 ** 2, keep: 3, appCapBytes: 100 * 1024 ** 2 };

/**
 * The operator's configuration of Hop3: which plugins to load, the limits every app gets, and
 * how logs are kept. Read from HOP3_CONFIG, else `$XDG_CONFIG_HOME/hop3/config.json`, else
 * `~/.config/hop3/config.json`. Nothing in an app's directory is ever read as Hop3's config.
 */
export interface Hop3Config {
  /** The file read, when there was one. */
  readonly file?: string;
  readonly plugins: readonly string[];
  /** What every app gets when its hop3.toml does not say. */
  readonly limits: AppLimits;
  /** What no app gets past, whatever its hop3.toml asks. */
  readonly maxLimits: AppLimits;
  readonly logs: LogSettings;
  /**
   * The `nix` section as written (remote builders, binary cache, keys): the Nix builder validates
   * it, core only carries it (core knows no builder by name). `{}` when absent.
   */
  readonly nix: Readonly<Record<string, unknown>>;
}

const size = z.union([z.string(), z.number().int().positive()]).refine((value) => parseSize(value) !== undefined, 'must be a size such as "512M", "2G" or a number of bytes');
const LimitsSchema = z
  .object({
    memory: size.optional(),
    cpu: z.number().positive().optional(),
    processes: z.number().int().min(1).optional(),
    openFiles: z.number().int().min(64).optional(),
  })
  .strict();

const ConfigSchema = z
  .object({
    plugins: z.array(z.string().trim().min(1)).default([]),
    limits: LimitsSchema.default({}),
    maxLimits: LimitsSchema.default({}),
    logs: z
      .object({
        maxSize: size.optional(),
        keep: z.number().int().min(0).max(100).optional(),
        appCap: size.optional(),
      })
      .strict()
      .default({}),
    nix: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** Where Hop3's config file is looked for (it need not exist). */
export function hop3ConfigFile(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.HOP3_CONFIG) return resolve(env.HOP3_CONFIG);
  const base = env.XDG_CONFIG_HOME || (env.HOME ? join(env.HOME, ".config") : undefined);
  return base ? join(base, "hop3", "config.json") : undefined;
}

/**
 * Reads Hop3's config file (defaults when there is none). A file that is not JSON, or holds an
 * unknown key or a bad value, is HOP3_CONFIG_INVALID naming the file and the key.
 */
export function readHop3Config(env: Readonly<Record<string, string | undefined>>): Hop3Config {
  const file = hop3ConfigFile(env);
  const exists = file !== undefined && existsSync(file);
  let raw: unknown = {};
  if (exists) {
    try {
      raw = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw coreError("HOP3_CONFIG_INVALID", `${file} is not valid JSON: ${(error as Error).message}`, { cause: error, details: { file } });
    }
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = issue.code === "unrecognized_keys" ? (issue as { keys: string[] }).keys : [];
    const where = [...issue.path.map(String), ...keys].join(".") || "(the whole file)";
    const what = keys.length > 0 ? `has an unknown key "${where}"` : `has "${where}" ${issue.message}`;
    throw coreError("HOP3_CONFIG_INVALID", `${file} ${what}.`, { details: { file, key: where } });
  }
  const data = parsed.data;
  const cap = (value: string | number | undefined, fallback: number) => (value === undefined ? fallback : parseSize(value)!);
  return {
    ...(exists && { file }),
    plugins: data.plugins,
    limits: { ...DEFAULT_LIMITS, ...toLimits(data.limits).limits },
    maxLimits: { ...defaultMaxLimits(), ...toLimits(data.maxLimits).limits },
    logs: {
      maxBytes: cap(data.logs.maxSize, DEFAULT_LOG_SETTINGS.maxBytes),
      keep: data.logs.keep ?? DEFAULT_LOG_SETTINGS.keep,
      appCapBytes: cap(data.logs.appCap, DEFAULT_LOG_SETTINGS.appCapBytes),
    },
    nix: data.nix,
  };
}
