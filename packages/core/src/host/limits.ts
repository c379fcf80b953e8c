import { availableParallelism, totalmem } from "node:os";

/**
 * What an app may use, per release: memory, CPU, processes (threads included: that is what the
 * kernel's pids controller counts) and open files. Undefined means no limit.
 */
export interface AppLimits {
  /** Bytes of memory (RAM and swap together) for all the app's processes. */
  readonly memoryBytes?: number;
  /** CPU time, in cores (0.5: half of one core). */
  readonly cpus?: number;
  /** Processes and threads at once. */
  readonly processes?: number;
  /** Open files per process (RLIMIT_NOFILE). */
  readonly openFiles?: number;
}

/** Limits as written in hop3.toml `[limits]` / `[resources]` and in Hop3's config file. */
export interface LimitSettings {
  /** "512M", "2G", or a number of bytes. */
  readonly memory?: string | number;
  readonly cpu?: number;
  readonly processes?: number;
  readonly openFiles?: number;
}

/** The names of the limits, as they appear in messages and in `hop3 doctor`. */
export const LIMIT_NAMES = { memoryBytes: "memory", cpus: "cpu", processes: "processes", openFiles: "open files" } as const satisfies Record<keyof AppLimits, string>;

/** Every app gets these unless its hop3.toml or Hop3's config says otherwise. */
export const DEFAULT_LIMITS: AppLimits = { memoryBytes: 1024 ** 3, processes: 512, openFiles: 16_384 };

/**
 * What no app may go past unless Hop3's config raises it: hop3.toml is untrusted, so an app
 * asking for more is given this much, with a warning.
 */
export function defaultMaxLimits(): AppLimits {
  return { memoryBytes: Math.floor(totalmem() * 0.8), cpus: availableParallelism(), processes: 4096, openFiles: 65_536 };
}

const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** "512M" to bytes (K, M, G, T are powers of 1024; a plain number is bytes). Undefined for anything else. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const match = /^\s*(\d+)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(value);
  if (!match) return undefined;
  const bytes = Number(match[1]) * UNITS[match[2]!.toUpperCase()]!;
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

/** Bytes as people write them: 1G, 512M, 1536K. */
export function formatSize(bytes: number): string {
  for (const unit of ["T", "G", "M", "K"]) {
    const size = UNITS[unit]!;
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}`;
}

/**
 * Settings as written to limits. Raises nothing: a value that does not parse is reported in
 * `invalid` (hop3.toml values were checked by its schema; the config file's by its own).
 */
export function toLimits(settings: LimitSettings | undefined): { limits: AppLimits; invalid: string[] } {
  const limits: { -readonly [K in keyof AppLimits]: AppLimits[K] } = {};
  const invalid: string[] = [];
  if (settings?.memory !== undefined) {
    const bytes = parseSize(settings.memory);
    if (bytes === undefined) invalid.push(`memory ${JSON.stringify(settings.memory)}`);
    else limits.memoryBytes = bytes;
  }
  if (settings?.cpu !== undefined) limits.cpus = settings.cpu;
  if (settings?.processes !== undefined) limits.processes = settings.processes;
  if (settings?.openFiles !== undefined) limits.openFiles = settings.openFiles;
  return { limits, invalid };
}

/** The limits an app runs with, and the warnings to show about them. */
export interface ResolvedLimits {
  readonly limits: AppLimits;
  readonly notes: readonly string[];
}

/**
 * An app's limits: what its hop3.toml asks, else the server's defaults, and never more than the
 * server's maximum (a request above it is lowered to it, with a note).
 */
export function resolveLimits(requested: AppLimits, defaults: AppLimits, maximum: AppLimits): ResolvedLimits {
  const limits: { -readonly [K in keyof AppLimits]: AppLimits[K] } = {};
  const notes: string[] = [];
  for (const key of Object.keys(LIMIT_NAMES) as Array<keyof AppLimits>) {
    const asked = requested[key];
    const max = maximum[key];
    let value = asked ?? defaults[key];
    if (value !== undefined && max !== undefined && value > max) {
      if (asked !== undefined) notes.push(`The app asks for ${describe(key, asked)} of ${LIMIT_NAMES[key]}; this server allows at most ${describe(key, max)}, which it gets.`);
      value = max;
    }
    if (value !== undefined) limits[key] = value;
  }
  return { limits, notes };
}

/** One limit in words: "512M", "0.5 core(s)", "100". */
export function describe(key: keyof AppLimits, value: number): string {
  if (key === "memoryBytes") return formatSize(value);
  if (key === "cpus") return `${value} core(s)`;
  return String(value);
}
