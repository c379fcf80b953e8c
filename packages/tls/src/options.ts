import { parseOptions, z } from "@hop3/core";

/** The package name, used as the plugin name and in option errors. */
export const PACKAGE_NAME = "@hop3/tls";

/** Let's Encrypt's directories: production (the default) and staging (`staging: true`, HOP3_ACME_STAGING=1). */
export const LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory";
export const LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory";

const url = z.url({ protocol: /^https$/, error: "must be an https:// URL" });

const TlsOptionsSchema = z
  .object({
    /** The ACME directory URL; default HOP3_ACME_DIRECTORY, else Let's Encrypt (staging with `staging`). */
    acmeDirectory: url.optional(),
    /** Use Let's Encrypt's staging CA (untrusted certificates, high rate limits); default HOP3_ACME_STAGING. */
    staging: z.boolean().optional(),
    /** The contact address given to the CA (expiry notices); default HOP3_ACME_EMAIL, else none. */
    email: z.email().optional(),
    /** A PEM file of CAs to trust for the ACME server's own HTTPS (a private CA, Pebble); default HOP3_ACME_CA_BUNDLE. */
    acmeCaBundle: z.string().startsWith("/", "must be an absolute path").optional(),
  })
  .strict();

const flag = z.enum(["0", "1", "true", "false"]).transform((value) => value === "1" || value === "true");

const EnvironmentSchema = z.object({
  HOP3_ACME_DIRECTORY: url.optional(),
  HOP3_ACME_STAGING: flag.optional(),
  HOP3_ACME_EMAIL: z.email().optional(),
  HOP3_ACME_CA_BUNDLE: z.string().startsWith("/", "must be an absolute path").optional(),
});

/** Options of `tlsPlugin`. Every field is optional. */
export type TlsOptions = Readonly<z.input<typeof TlsOptionsSchema>>;

/** The options once validated, with every default filled in. */
export interface TlsSettings {
  readonly acmeDirectory: string;
  readonly email: string | undefined;
  readonly acmeCaBundle: string | undefined;
}

/** Options win over the environment, the environment over the defaults. Raises OPTIONS_INVALID naming the bad one. */
export function resolveTlsSettings(options: TlsOptions | undefined, env: Readonly<Record<string, string | undefined>>): TlsSettings {
  const parsed = parseOptions(TlsOptionsSchema, options, PACKAGE_NAME);
  const fromEnv = parseOptions(
    EnvironmentSchema,
    {
      HOP3_ACME_DIRECTORY: env.HOP3_ACME_DIRECTORY || undefined,
      HOP3_ACME_STAGING: env.HOP3_ACME_STAGING || undefined,
      HOP3_ACME_EMAIL: env.HOP3_ACME_EMAIL || undefined,
      HOP3_ACME_CA_BUNDLE: env.HOP3_ACME_CA_BUNDLE || undefined,
    },
    `${PACKAGE_NAME} (environment)`,
  );
  const staging = parsed.staging ?? fromEnv.HOP3_ACME_STAGING ?? false;
  return {
    acmeDirectory: parsed.acmeDirectory ?? fromEnv.HOP3_ACME_DIRECTORY ?? (staging ? LETS_ENCRYPT_STAGING : LETS_ENCRYPT),
    email: parsed.email ?? fromEnv.HOP3_ACME_EMAIL,
    acmeCaBundle: parsed.acmeCaBundle ?? fromEnv.HOP3_ACME_CA_BUNDLE,
  };
}
