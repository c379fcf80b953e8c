import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { ensureDir } from "./home-layout.js";
import { runsAsRoot } from "./users.js";

/**
 * Where HOP3_HOME keeps TLS material: written by the certificate manager (@hop3/tls), read by the
 * router, so both agree on one layout.
 *
 * ```
 * <home>/tls/                    root 0711   nginx's workers pass to acme-challenge/
 *   acme-challenge/              root 0755   HTTP-01 tokens, served at /.well-known/acme-challenge/
 *   certs/<host>/                root 0700   served.pem (key + chain), fullchain.pem, state.json (0600)
 *   ca/                          root 0700   the local CA: ca.pem, ca-key.pem (0600)
 *   acme/                        root 0700   ACME account keys, one per directory URL
 * ```
 */
export interface TlsLayout {
  readonly root: string;
  readonly challenges: string;
  readonly certs: string;
  readonly ca: string;
  readonly acme: string;
}

export const tlsLayout = (home: string): TlsLayout => {
  const root = join(resolve(home), "tls");
  return { root, challenges: join(root, "acme-challenge"), certs: join(root, "certs"), ca: join(root, "ca"), acme: join(root, "acme") };
};

/** The files of one host name's certificate (the name is already a valid host name). */
export interface CertificateFiles {
  readonly dir: string;
  /** The certificate and its chain, leaf first: what Hop3 reads expiry and issuer from. */
  readonly cert: string;
  /**
   * The private key followed by the same chain, in one file: what nginx is given for both
   * `ssl_certificate` and `ssl_certificate_key`. One file is replaced in one rename, so nginx can
   * never read a new key with an old certificate.
   */
  readonly served: string;
  /** The certificate manager's record: issuer, expiry, last error, retry state. */
  readonly state: string;
}

export const certificateFiles = (home: string, host: string): CertificateFiles => {
  const dir = join(tlsLayout(home).certs, host);
  return { dir, cert: join(dir, "fullchain.pem"), served: join(dir, "served.pem"), state: join(dir, "state.json") };
};

/** The certificate a host name has, when nginx's file of it is there. */
export function installedCertificate(home: string, host: string): CertificateFiles | undefined {
  const files = certificateFiles(home, host);
  return existsSync(files.served) ? files : undefined;
}

/** Suffixes no public CA signs: these names get a certificate from Hop3's local CA. */
const LOCAL_SUFFIXES = ["localhost", "local", "test", "internal", "home.arpa", "lan", "example", "invalid"];

/**
 * True for names a public CA will not sign (`*.localhost`, `.local`, `.test`, `.internal`,
 * `.home.arpa`...) and names without a dot: they get a local CA's certificate, and HTTP is not
 * redirected for them (a browser that does not trust the local CA would lose the app).
 */
export function isLocalHostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  if (!name.includes(".")) return true;
  return LOCAL_SUFFIXES.some((suffix) => name === suffix || name.endsWith(`.${suffix}`));
}

/**
 * Creates the TLS directories with the modes above (as root: root's; otherwise Hop3's own user's,
 * private but for the challenges). Cheap when done: a few stat calls.
 */
export function prepareTlsDirs(home: string): TlsLayout {
  const layout = tlsLayout(home);
  const owner = runsAsRoot() ? { uid: 0, gid: 0 } : {};
  ensureDir(layout.root, { mode: 0o711, ...owner });
  ensureDir(layout.challenges, { mode: 0o755, ...owner });
  for (const dir of [layout.certs, layout.ca, layout.acme]) ensureDir(dir, { mode: 0o700, ...owner });
  return layout;
}
