import { readdirSync, readFileSync, rmSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { certificateFiles, ensureDir, runsAsRoot, tlsLayout, writeFileAtomic, writeJsonAtomic, z } from "@hop3/core";
import { tlsError } from "./errors.js";

/** Who signs a name's certificate: Hop3's local CA for local names, an ACME CA for public ones. */
export type CertificateSource = "local" | "acme";

const StateSchema = z.object({
  host: z.string(),
  source: z.enum(["local", "acme"]),
  /** Issuer and validity of the installed certificate, when there is one. */
  issuer: z.string().optional(),
  notBefore: z.string().optional(),
  notAfter: z.string().optional(),
  /** The last failure, kept until an issuance succeeds. */
  lastError: z.object({ code: z.string(), message: z.string(), at: z.string() }).optional(),
  /** Failures in a row, and when the next try is due (backoff). */
  failures: z.number().int().min(0).default(0),
  nextAttemptAt: z.string().optional(),
});

/** What Hop3 knows of one host name's certificate (`<home>/tls/certs/<host>/state.json`). */
export type CertificateState = z.output<typeof StateSchema>;

/** The state of a host name, or undefined when nothing was ever tried for it. Raises TLS_STATE_INVALID on a damaged file. */
export function readState(home: string, host: string): CertificateState | undefined {
  const file = certificateFiles(home, host).state;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const parsed = StateSchema.safeParse(safeJson(text));
  if (!parsed.success) throw tlsError("TLS_STATE_INVALID", `${file} is damaged: ${parsed.error.issues[0]?.message ?? "not JSON"}.`, { details: { host, file } });
  return parsed.data;
}

export function writeState(home: string, state: CertificateState): void {
  const files = certificateFiles(home, state.host);
  ensureHostDir(files.dir);
  writeJsonAtomic(files.state, state);
}

/** The installed certificate's leaf, parsed; undefined when there is none or it cannot be read. */
export function installedLeaf(home: string, host: string): X509Certificate | undefined {
  try {
    return new X509Certificate(readFileSync(certificateFiles(home, host).cert));
  } catch {
    return undefined;
  }
}

/**
 * Puts a new key and certificate in place, 0600 and root's (as root): first nginx's file (the key,
 * then the chain), written whole and renamed over the previous one in one step, so a reload at any
 * moment reads a key with its own certificate; then the chain alone, which Hop3 reads expiry from
 * (left behind by a crash, it only makes the next renewal come early). The router's reload reads
 * them afterwards.
 */
export function installCertificate(home: string, host: string, certPem: string, keyPem: string): void {
  const files = certificateFiles(home, host);
  ensureHostDir(files.dir);
  writeFileAtomic(files.served, `${keyPem.trim()}\n${certPem.trim()}\n`, 0o600);
  writeFileAtomic(files.cert, `${certPem.trim()}\n`, 0o600);
}

/**
 * Removes the key, certificate and state of every host name not in `keep` (a domain removed from
 * its app, an app destroyed): a private key is kept only while it serves. Returns the names removed.
 */
export function removeCertificatesExcept(home: string, keep: ReadonlySet<string>): string[] {
  let hosts: string[];
  try {
    hosts = readdirSync(tlsLayout(home).certs);
  } catch {
    return [];
  }
  const removed = hosts.filter((host) => !keep.has(host));
  for (const host of removed) rmSync(certificateFiles(home, host).dir, { recursive: true, force: true });
  return removed;
}

/** The validity and issuer of a PEM certificate, as state.json records them. */
export function describeCertificate(certPem: string): Pick<CertificateState, "issuer" | "notBefore" | "notAfter"> {
  const leaf = new X509Certificate(certPem);
  return { issuer: oneLine(leaf.issuer), notBefore: new Date(leaf.validFrom).toISOString(), notAfter: new Date(leaf.validTo).toISOString() };
}

/** "C=US\nO=Org\nCN=Name" as "CN=Name, O=Org, C=US": the way issuers are usually read. */
const oneLine = (name: string): string => name.split("\n").reverse().join(", ");

const ensureHostDir = (dir: string): void => ensureDir(dir, { mode: 0o700, ...(runsAsRoot() && { uid: 0, gid: 0 }) });

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
