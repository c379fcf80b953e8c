import { resolve } from "node:path";
import { parseOptions, z } from "@hop3/core";

/** The package name, used as the plugin name and in option errors. */
export const PACKAGE_NAME = "@hop3/builder-nix";

const command = z
  .string()
  .trim()
  .regex(/^(\/.*[^/]|[^/]+)$/, "must name a program: a name looked up on PATH, or an absolute path");

/** Nix setting names as nix.conf writes them (`sandbox`, `max-jobs`, `extra-sandbox-paths`). */
const settingName = z.string().regex(/^[a-z][a-z0-9-]*$/, "must be a Nix setting name such as max-jobs");

const NixBuilderOptionsSchema = z
  .object({
    /** The nix-build program: a name looked up on PATH or an absolute path (default "nix-build"). */
    nixBuild: command.default("nix-build"),
    /** The nix-instantiate program, used to read hop3.nix `env` (default "nix-instantiate"). */
    nixInstantiate: command.default("nix-instantiate"),
    /** The nix-store program, used to add GC roots (default "nix-store"). */
    nixStore: command.default("nix-store"),
    /** The nix program, used to sign closures and copy them to the binary cache (default "nix"). */
    nix: command.default("nix"),
    /**
     * The nix-daemon program Hop3 starts when it runs as root and no daemon answers (default
     * "nix-daemon"): builds then run as the app's user, through the daemon.
     */
    nixDaemon: command.default("nix-daemon"),
    /** Time limit of one build in seconds (default 1800); hop3.toml `[nix] timeout` overrides it per app. */
    timeoutSeconds: z.number().positive().default(1800),
    /**
     * Entries passed as `-I` to every nix command (e.g. "nixpkgs=/srv/nixpkgs"). Relative paths are
     * resolved against the current directory when the builder is created. They come before the
     * app's own entries, so they win (nix uses the first match), and, unlike the app's, may name any
     * path: builds run as the app's user, who must be able to read it (a /nix/store path always is).
     */
    include: z.array(z.string().min(1)).readonly().default([]),
    /**
     * Nix settings passed as `--option NAME VALUE`, any setting (hop3.toml `[nix] options` may set only
     * the allowed ones); they win over the app's, and over Hop3's own `restrict-eval true`.
     */
    options: z.record(settingName, z.string()).default({}),
    /** Register a GC root per release so its closure survives `nix-collect-garbage` (default true). */
    gcRoots: z.boolean().default(true),
    /** Order among builders in auto mode, lower first (default 10: before Docker and Local). */
    priority: z.number().int().default(10),
  })
  .strict();

/** Options of `createNixBuilder` and `nixPlugin`. Every field is optional. */
export type NixBuilderOptions = Readonly<z.input<typeof NixBuilderOptionsSchema>>;

/** The options once validated, with every default filled in. */
export type ResolvedNixOptions = z.output<typeof NixBuilderOptionsSchema>;

/** Validates factory options at once; raises OPTIONS_INVALID naming the bad option. */
export function resolveNixOptions(options: NixBuilderOptions | undefined, cwd: string = process.cwd()): ResolvedNixOptions {
  const parsed = parseOptions(NixBuilderOptionsSchema, options, PACKAGE_NAME);
  return { ...parsed, include: parsed.include.map((entry) => absoluteInclude(entry, cwd)) };
}

/**
 * Nix resolves a relative `-I` entry against its own current directory, which is the app
 * directory when building: make paths absolute against the directory they were written for.
 * URLs and `channel:` entries are left alone.
 */
export function absoluteInclude(entry: string, baseDir: string): string {
  const equals = entry.indexOf("=");
  const prefix = equals >= 0 ? entry.slice(0, equals + 1) : "";
  const path = equals >= 0 ? entry.slice(equals + 1) : entry;
  if (path === "" || path.startsWith("/") || path.startsWith("channel:") || /^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return entry;
  return prefix + resolve(baseDir, path);
}
