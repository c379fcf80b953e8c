import { parseOptions, z } from "@hop3/core";

/** The package name, used as the plugin's name and in option errors. */
export const PACKAGE_NAME = "@hop3/addon-postgres";

/** Where Debian's postgresql-15 puts initdb, pg_ctl, postgres, pg_dump, pg_restore and psql. */
export const DEBIAN_BIN_DIR = "/usr/lib/postgresql/15/bin";

const port = z.number().int().min(1).max(65535);

const PostgresAddonOptionsSchema = z
  .object({
    /** The directory of initdb, pg_ctl, postgres, psql, pg_dump and pg_restore (default Debian's PostgreSQL 15). */
    binDir: z.string().startsWith("/", "must be an absolute path").default(DEBIAN_BIN_DIR),
    /**
     * The TCP port on 127.0.0.1 the server listens on, where apps connect; default HOP3_POSTGRES_PORT,
     * else the port chosen when the server was first made (5432 when free, else a free one).
     */
    port: port.optional(),
  })
  .strict();

export type PostgresAddonOptions = z.input<typeof PostgresAddonOptionsSchema>;

export interface PostgresSettings {
  readonly binDir: string;
  /** Asked for by the options or HOP3_POSTGRES_PORT; undefined: the one kept, else chosen at first start. */
  readonly port?: number;
}

const EnvironmentSchema = z.object({
  HOP3_POSTGRES_PORT: z
    .string()
    .regex(/^\d{1,5}$/, "must be a port number from 1 to 65535")
    .transform(Number)
    .pipe(port)
    .optional(),
});

/** The options, validated at once (OPTIONS_INVALID naming the key). */
export function resolvePostgresSettings(options: PostgresAddonOptions | undefined, env: Readonly<Record<string, string | undefined>>): PostgresSettings {
  const parsed = parseOptions(PostgresAddonOptionsSchema, options, PACKAGE_NAME);
  const fromEnv = parseOptions(EnvironmentSchema, { HOP3_POSTGRES_PORT: env.HOP3_POSTGRES_PORT || undefined }, `${PACKAGE_NAME} (environment)`);
  const chosen = parsed.port ?? fromEnv.HOP3_POSTGRES_PORT;
  return { binDir: parsed.binDir, ...(chosen !== undefined && { port: chosen }) };
}
