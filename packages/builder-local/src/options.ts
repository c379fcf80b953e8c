import { parseOptions, z } from "@hop3/core";

/** The package name, used as the plugin name and in option errors. */
export const PACKAGE_NAME = "@hop3/builder-local";

/** The toolchains this package provides, in the order they run. */
export const BUILTIN_TOOLCHAINS = ["python", "node", "go", "ruby", "php", "rust", "java", "clojure", "generic", "static"] as const;
export type BuiltinToolchain = (typeof BUILTIN_TOOLCHAINS)[number];

const LocalBuilderOptionsSchema = z
  .object({
    /** Order among builders in auto mode, lower first (default 30: after Nix and Docker). */
    priority: z.number().int().default(30),
    /** Time limit of each build command in seconds (default 1800). */
    timeoutSeconds: z.number().positive().default(1800),
    /**
     * Variables set for every build command, over the app's process environment (e.g. a PATH
     * holding a particular Go, PIP_INDEX_URL, npm_config_registry). Build commands run as the app's
     * user and see nothing else of Hop3's environment. Not passed to the workers.
     */
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"), z.string()).default({}),
    /** Which of this package's toolchains the plugin registers (default: all of them). */
    toolchains: z.array(z.enum(BUILTIN_TOOLCHAINS)).readonly().default([...BUILTIN_TOOLCHAINS]),
    /**
     * Reuse what an earlier release installed when its inputs are unchanged: node_modules for the
     * same lockfile, a virtualenv for the same requirements.txt (default true).
     */
    reuse: z.boolean().default(true),
  })
  .strict();

/** Options of `createLocalBuilder` and `localBuilderPlugin`. Every field is optional. */
export type LocalBuilderOptions = Readonly<z.input<typeof LocalBuilderOptionsSchema>>;

/** The options once validated, with every default filled in. */
export type ResolvedLocalOptions = z.output<typeof LocalBuilderOptionsSchema>;

/** Where pip and uv find packages: the operator's mirror, passed on from Hop3's environment to every build (see packageIndexEnv). */
export const PACKAGE_INDEX_VARIABLES: readonly string[] = ["PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_TRUSTED_HOST", "PIP_CERT", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS"];

/**
 * The package index settings of Hop3's environment (PACKAGE_INDEX_VARIABLES that are set), for the
 * builder's `env` option: builds run as the app's user, who does not read root's pip.conf, so a
 * server without internet access installs from the operator's mirror.
 */
export function packageIndexEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(PACKAGE_INDEX_VARIABLES.flatMap((name) => (env[name] ? [[name, env[name]]] : [])));
}

/** Validates factory options at once; raises OPTIONS_INVALID naming the bad option. */
export function resolveLocalOptions(options: LocalBuilderOptions | undefined): ResolvedLocalOptions {
  return parseOptions(LocalBuilderOptionsSchema, options, PACKAGE_NAME);
}
