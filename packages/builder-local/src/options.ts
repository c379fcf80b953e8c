import { parseOptions } from "@hop3/core";
import { z } from "zod";

/** The package name, used as the plugin name and in option errors. */
export const PACKAGE_NAME = "@hop3/builder-local";

/** The toolchains this package provides, in the order they run. */
export const BUILTIN_TOOLCHAINS = ["python", "node", "go", "ruby", "generic", "static"] as const;
export type BuiltinToolchain = (typeof BUILTIN_TOOLCHAINS)[number];

const LocalBuilderOptionsSchema = z
  .object({
    priority: z.number().int().default(30),
    timeoutSeconds: z.number().positive().default(1800),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"), z.string()).default({}),
    toolchains: z.array(z.enum(BUILTIN_TOOLCHAINS)).default([...BUILTIN_TOOLCHAINS]),
    reuse: z.boolean().default(true),
  })
  .strict();

/** Options of `createLocalBuilder` and `localBuilderPlugin`. Every field is optional. */
export interface LocalBuilderOptions {
  /** Order among builders in auto mode, lower first (default 30: after Nix and Docker). */
  readonly priority?: number;
  /** Time limit of each build command in seconds (default 1800). */
  readonly timeoutSeconds?: number;
  /**
   * Variables set for every build command, over the app's process environment (e.g. a PATH
   * holding a particular Go, PIP_INDEX_URL, npm_config_registry). Build commands run as the app's
   * user and see nothing else of Hop3's environment. Not passed to the workers.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Which of this package's toolchains the plugin registers (default: all of them). */
  readonly toolchains?: readonly BuiltinToolchain[];
  /**
   * Reuse what an earlier release installed when its inputs are unchanged: node_modules for the
   * same lockfile, a virtualenv for the same requirements.txt (default true).
   */
  readonly reuse?: boolean;
}

/** The options once validated, with every default filled in. */
export type ResolvedLocalOptions = z.output<typeof LocalBuilderOptionsSchema>;

/** Validates factory options at once; raises OPTIONS_INVALID naming the bad option. */
export function resolveLocalOptions(options: LocalBuilderOptions | undefined): ResolvedLocalOptions {
  return parseOptions(LocalBuilderOptionsSchema, options, PACKAGE_NAME);
}
