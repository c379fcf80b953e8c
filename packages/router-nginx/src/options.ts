import { isIP } from "node:net";
import { ensureWebUser, parseOptions, type UserScope, z } from "@hop3/core";

/** The package name, used as the plugin and router name and in option errors. */
export const PACKAGE_NAME = "@hop3/router-nginx";

const port = z.number().int().min(1).max(65535);
const ipAddress = z.string().refine((value) => isIP(value) !== 0, "must be an IPv4 or IPv6 address such as 127.0.0.1 or ::1");

const NginxRouterOptionsSchema = z
  .object({
    /** Port nginx listens on; default HOP3_HTTP_PORT, else 8080. */
    httpPort: port.optional(),
    /** Port nginx listens on for HTTPS, once a certificate is installed; default HOP3_HTTPS_PORT, else 8443. */
    httpsPort: port.optional(),
    /**
     * HSTS for public names served over HTTPS: the `max-age` in seconds (a year is 31536000), or 0
     * for none; default HOP3_HSTS_MAX_AGE, else 0. Opt-in: a browser that saw it refuses plain HTTP
     * for that long, even if HTTPS is later turned off.
     */
    hstsMaxAge: z.number().int().min(0).max(63_072_000).optional(),
    /** Address nginx listens on (an IP literal); default HOP3_BIND_ADDRESS, else 127.0.0.1. */
    bindAddress: ipAddress.optional(),
    /** The nginx program: a name on PATH or an absolute path (default "nginx", also looked for in /usr/sbin). */
    nginx: z.string().trim().min(1, "must name a program (a name on PATH or an absolute path)").default("nginx"),
    /**
     * User nginx workers run as, when Hop3 runs as root. Default: HOP3_HOME's web user
     * (`<prefix>_web`, made if missing), a member of every app's group, so workers read what apps
     * publish and nothing of root's. Ignored when Hop3 is not root (workers then run as it).
     */
    user: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a system user name such as www-data")
      .optional(),
    /** nginx `worker_processes`: "auto" (one per core, the default) or a number. */
    workerProcesses: z.union([z.literal("auto"), z.number().int().min(1).max(256)]).default("auto"),
    /** How long to wait for nginx to switch to a new configuration (default 10,000 ms). */
    reloadTimeoutMs: z.number().int().positive().default(10_000),
  })
  .strict();

// Environment values are text: a port must be all digits, so "8080abc" is refused, not truncated.
const EnvironmentSchema = z.object({
  HOP3_HTTP_PORT: z
    .string()
    .regex(/^\d{1,5}$/, "must be a port number from 1 to 65535")
    .transform(Number)
    .pipe(port)
    .optional(),
  HOP3_HTTPS_PORT: z
    .string()
    .regex(/^\d{1,5}$/, "must be a port number from 1 to 65535")
    .transform(Number)
    .pipe(port)
    .optional(),
  HOP3_HSTS_MAX_AGE: z
    .string()
    .regex(/^\d{1,9}$/, "must be a number of seconds (0 for no HSTS)")
    .transform(Number)
    .pipe(z.number().int().max(63_072_000))
    .optional(),
  HOP3_BIND_ADDRESS: ipAddress.optional(),
});

/** Options of `createNginxRouter` and `nginxRouterPlugin`. Every field is optional. */
export type NginxRouterOptions = Readonly<z.input<typeof NginxRouterOptionsSchema>>;

/** The options once validated, with every default filled in. */
export interface NginxSettings {
  readonly httpPort: number;
  readonly httpsPort: number;
  /** Strict-Transport-Security max-age for public names over HTTPS; 0: no header. */
  readonly hstsMaxAge: number;
  readonly bindAddress: string;
  readonly nginx: string;
  /**
   * The `user` directive: the `user` option when Hop3 is root, else undefined (nginx would ignore
   * it with a warning). As root and without the option, `settingsForHome` fills in the home's web user.
   */
  readonly user: string | undefined;
  /** True when Hop3 runs as root, so nginx's workers drop to `user`. */
  readonly asRoot: boolean;
  readonly workerProcesses: "auto" | number;
  readonly reloadTimeoutMs: number;
}

/**
 * Validates factory options at once (OPTIONS_INVALID names the bad one). Options win over the
 * environment; the environment wins over the defaults.
 */
export function resolveNginxSettings(
  options: NginxRouterOptions | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
  isRoot: boolean = process.getuid?.() === 0,
): NginxSettings {
  const parsed = parseOptions(NginxRouterOptionsSchema, options, PACKAGE_NAME);
  const fromEnv = parseOptions(
    EnvironmentSchema,
    {
      HOP3_HTTP_PORT: env.HOP3_HTTP_PORT || undefined,
      HOP3_HTTPS_PORT: env.HOP3_HTTPS_PORT || undefined,
      HOP3_HSTS_MAX_AGE: env.HOP3_HSTS_MAX_AGE || undefined,
      HOP3_BIND_ADDRESS: env.HOP3_BIND_ADDRESS || undefined,
    },
    `${PACKAGE_NAME} (environment)`,
  );
  return {
    httpPort: parsed.httpPort ?? fromEnv.HOP3_HTTP_PORT ?? 8080,
    httpsPort: parsed.httpsPort ?? fromEnv.HOP3_HTTPS_PORT ?? 8443,
    hstsMaxAge: parsed.hstsMaxAge ?? fromEnv.HOP3_HSTS_MAX_AGE ?? 0,
    bindAddress: parsed.bindAddress ?? fromEnv.HOP3_BIND_ADDRESS ?? "127.0.0.1",
    nginx: parsed.nginx,
    user: isRoot ? parsed.user : undefined,
    asRoot: isRoot,
    workerProcesses: parsed.workerProcesses,
    reloadTimeoutMs: parsed.reloadTimeoutMs,
  };
}

/**
 * The settings for one HOP3_HOME: as root, workers run as the `user` option or else as the home's
 * web user, which is made here if it does not exist yet (core's ensureWebUser).
 */
export function settingsForHome(settings: NginxSettings, scope: UserScope): NginxSettings {
  if (!settings.asRoot || settings.user !== undefined) return settings;
  return { ...settings, user: ensureWebUser(scope) };
}

/** The `listen` value for an address and port (IPv6 literals go in brackets); HTTP's port unless another is given. */
export const listenAddress = (settings: Pick<NginxSettings, "bindAddress" | "httpPort">, port: number = settings.httpPort): string =>
  isIP(settings.bindAddress) === 6 ? `[${settings.bindAddress}]:${port}` : `${settings.bindAddress}:${port}`;
