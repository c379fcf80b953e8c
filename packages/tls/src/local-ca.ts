import { createPrivateKey, randomBytes, webcrypto, X509Certificate as NodeX509 } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tlsLayout, writeFileAtomic } from "@hop3/core";
import type * as X509 from "@peculiar/x509";

// The DOM's Crypto type, as @peculiar/x509 takes it; node's webcrypto is that object.
type WebCrypto = Parameters<typeof X509.X509CertificateGenerator.create>[1];
type CryptoKey = webcrypto.CryptoKey;
const crypto = webcrypto as unknown as NonNullable<WebCrypto>;
/** ECDSA P-256: every browser and curl take it, and keys are small and fast to make. */
const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 86_400_000;
/** The CA lives ten years; leaves 397 days, the most Apple's platforms accept. */
const CA_DAYS = 3650;
export const LOCAL_LEAF_DAYS = 397;

/** Where the local CA of a HOP3_HOME is kept: its certificate (public) and its key (0600). */
export const localCaFiles = (home: string) => ({ cert: join(tlsLayout(home).ca, "ca.pem"), key: join(tlsLayout(home).ca, "ca-key.pem") });

interface LocalCa {
  readonly certPem: string;
  readonly cert: X509.X509Certificate;
  readonly key: CryptoKey;
}

/** The local CA of a HOP3_HOME, made the first time (like mkcert's): returns the path of its certificate. */
export async function ensureLocalCa(home: string): Promise<string> {
  await loadOrCreateCa(home);
  return localCaFiles(home).cert;
}

/** @peculiar/x509, loaded only to make certificates: it costs every command that loads the plugin about 100 ms of CPU. */
const loadX509 = (): Promise<typeof X509> => import("@peculiar/x509");

async function loadOrCreateCa(home: string): Promise<LocalCa> {
  const x509 = await loadX509();
  const files = localCaFiles(home);
  if (existsSync(files.cert) && existsSync(files.key)) {
    const certPem = readFileSync(files.cert, "utf8");
    const der = createPrivateKey(readFileSync(files.key)).export({ type: "pkcs8", format: "der" });
    const key = await crypto.subtle.importKey("pkcs8", der, ALGORITHM, false, ["sign"]);
    return { certPem, cert: new x509.X509Certificate(certPem), key };
  }
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const now = Date.now();
  const name = `CN=Hop3 local CA ${randomBytes(4).toString("hex")}, O=Hop3 local CA`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + CA_DAYS * DAY),
      signingAlgorithm: ALGORITHM,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const certPem = cert.toString("pem");
  // The key first: a certificate without its key would be taken for a whole CA next time.
  writeFileAtomic(files.key, await exportKey(keys.privateKey), 0o600);
  writeFileAtomic(files.cert, `${certPem}\n`, 0o644);
  return { certPem, cert, key: keys.privateKey };
}

/** A new key and a certificate for one local host name, signed by the home's local CA. */
export async function issueLocalCertificate(home: string, host: string): Promise<{ certPem: string; keyPem: string }> {
  const x509 = await loadX509();
  const ca = await loadOrCreateCa(home);
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const now = Date.now();
  const leaf = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: `CN=${host}`,
      issuer: ca.cert.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + LOCAL_LEAF_DAYS * DAY),
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: ca.key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: "dns", value: host }]),
        await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false, crypto),
      ],
    },
    crypto,
  );
  // The chain nginx sends: the leaf, then the CA (clients that trust the CA need nothing more).
  return { certPem: `${leaf.toString("pem")}\n${ca.certPem.trim()}\n`, keyPem: await exportKey(keys.privateKey) };
}

/** Whether a certificate was signed by this home's local CA (one made before a CA was replaced is not). */
export function signedByLocalCa(home: string, certPem: string): boolean {
  const caFile = localCaFiles(home).cert;
  if (!existsSync(caFile)) return false;
  try {
    return new NodeX509(certPem).verify(new NodeX509(readFileSync(caFile)).publicKey);
  } catch {
    return false;
  }
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey("pkcs8", key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n?$/, "\n")}-----END PRIVATE KEY-----\n`;
}

/** A positive 128-bit serial (the high bit clear, so DER needs no sign byte). */
const serial = (): string => {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString("hex");
};
