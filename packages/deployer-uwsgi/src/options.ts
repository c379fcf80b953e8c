import { ENV_NAME_PATTERN, parseOptions, z } from "@hop3/core";
import type { EmperorSettings } from "./emperor.js";

/** The package name, used as the plugin name and in option errors. */
export const PACKAGE_NAME = "@hop3/deployer-uwsgi";

/**
 * What workers inherit from the Hop3 process by default. Everything else (tokens, CI variables,
 * Hop3's own settings) stays out of the apps.
 */
export const DEFAULT_INHERITED_ENV: readonly string[] = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ"];

const UwsgiDeployerOptionsSchema = z
  .object({
    /** The uWSGI program: a name looked up on PATH or an absolute path (default "uwsgi"). */
    uwsgi: z.string().trim().min(1, "must name a program (a name on PATH or an absolute path)").default("uwsgi"),
    /**
     * Seconds between two scans of the vassal folder (default 1, uWSGI's minimum). Hop3 wakes the
     * emperor after every change, so this only bounds how long a missed wake-up can cost.
     */
    emperorFrequency: z.number().int().min(1).max(60).default(1),
    /** How long a deploy waits for each worker to run (and web workers to accept TCP), in seconds (default 30). */
    startTimeoutSeconds: z.number().positive().default(30),
    /** How long stop waits for a worker to exit after SIGTERM before it is killed, in seconds (default 10). */
    stopTimeoutSeconds: z.number().positive().default(10),
    /**
     * After a deploy switched the route to the new release, the longest the old instances keep running
     * while connections to them are still open (requests already sent finish), in seconds (default 10;
     * 0 stops them at once). With nothing in flight they stop at once.
     */
    drainSeconds: z.number().min(0).max(600).default(10),
    /** Time limit of each before-run command, in seconds (default 600). */
    beforeRunTimeoutSeconds: z.number().positive().default(600),
    /**
     * Variables of the Hop3 process that the emperor, and so every worker, inherits (default PATH,
     * HOME, USER, LOGNAME, LANG, LC_ALL, LC_CTYPE, TZ). Read when the emperor starts.
     */
    inheritEnv: z.array(z.string().regex(new RegExp(ENV_NAME_PATTERN), "must be an environment variable name")).readonly().default([...DEFAULT_INHERITED_ENV]),
  })
  .strict();

/** Options of `createUwsgiDeployer` and `uwsgiDeployerPlugin`. Every field is optional. */
export type UwsgiDeployerOptions = Readonly<z.input<typeof UwsgiDeployerOptionsSchema>>;

/** The options once validated, with every default filled in. */
export type ResolvedUwsgiOptions = z.output<typeof UwsgiDeployerOptionsSchema>;

/** Validates factory options at once; raises OPTIONS_INVALID naming the bad option. */
export function resolveUwsgiOptions(options: UwsgiDeployerOptions | undefined): ResolvedUwsgiOptions {
  return parseOptions(UwsgiDeployerOptionsSchema, options, PACKAGE_NAME);
}

/** What the emperor is started with, from the deployer's options. */
export const emperorSettingsOf = (options: ResolvedUwsgiOptions): EmperorSettings => ({
  uwsgi: options.uwsgi,
  frequency: options.emperorFrequency,
  inheritEnv: options.inheritEnv,
});
