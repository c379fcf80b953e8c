import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { defineCliCommand, prepareTlsDirs, type CliCommand } from "@hop3/core";
import { certificateReports, renewCertificates, type CertificateReport } from "./certificates.js";
import { ensureLocalCa } from "./local-ca.js";
import { resolveTlsSettings, type TlsOptions } from "./options.js";

/** `hop3 certs [APP]`, `hop3 certs ca`, `hop3 certs renew [APP] [--force]`. */
export function certsCommands(options: TlsOptions | undefined): readonly CliCommand[] {
  return [
    defineCliCommand({
      name: ["certs"],
      summary: "Show each host name's certificate: issuer, expiry, last error",
      usage: "hop3 certs [APP] [--json]",
      positionals: [{ name: "APP", optional: true, description: "Only this app's names" }],
      async run({ args, distribution }) {
        const reports = certificateReports(await distribution(), args.positionals[0]);
        return { data: { certificates: reports }, text: reports.length === 0 ? "No app yet." : reports.map(reportLine) };
      },
    }),
    defineCliCommand({
      name: ["certs", "ca"],
      summary: "Print where Hop3's local CA is, and how to trust it on your machine",
      usage: "hop3 certs ca [--json]",
      description: "The local CA signs the certificates of local names (APP.localhost, .test, .internal...). It is made the first time it is needed.",
      async run({ distribution }) {
        const dist = await distribution();
        prepareTlsDirs(dist.home);
        const path = await ensureLocalCa(dist.home);
        const pem = readFileSync(path);
        const fingerprint = new X509Certificate(pem).fingerprint256;
        return { data: { path, fingerprint256: fingerprint, sha256: createHash("sha256").update(pem).digest("hex") }, text: trustInstructions(path, fingerprint) };
      },
    }),
    defineCliCommand({
      name: ["certs", "renew"],
      summary: "Issue missing certificates and renew those due (Hop3's schedule does it by itself)",
      usage: "hop3 certs renew [APP] [--force] [--json]",
      positionals: [{ name: "APP", optional: true, description: "Only this app's names" }],
      options: { force: { type: "boolean", description: "Issue even when not due, and try again at once after a failure" } },
      async run({ args, io, distribution }) {
        const dist = await distribution();
        const settings = resolveTlsSettings(options, io.env);
        const outcome = await renewCertificates(dist, settings, { ...(args.positionals[0] !== undefined && { app: args.positionals[0] }), force: args.values.force === true });
        const text = [
          ...outcome.issued.map((i) => `${i.host}: issued (${i.source === "local" ? "local CA" : "ACME"}), valid until ${i.notAfter}`),
          ...outcome.failed.map((f) => `${f.host}: error[${f.code}]: ${f.message} (next try at ${f.nextAttemptAt})`),
          ...outcome.removed.map((host) => `${host}: certificate removed (no app has this name anymore)`),
          ...(outcome.reloaded.length > 0 ? [`nginx now serves the new certificates of: ${outcome.reloaded.join(", ")}`] : []),
        ];
        return { data: outcome, text: text.length > 0 ? text : ["nothing to do: every certificate is valid"], exitCode: outcome.failed.length > 0 ? 1 : 0 };
      },
    }),
  ];
}

function reportLine(r: CertificateReport): string {
  const what = r.status === "none" ? "no certificate" : `${r.status}, ${r.issuer}, expires ${r.notAfter} (${r.daysLeft} days)`;
  const error = r.lastError ? `; last error[${r.lastError.code}] at ${r.lastError.at}: ${r.lastError.message}${r.nextAttemptAt ? ` (next try at ${r.nextAttemptAt})` : ""}` : "";
  return `${r.app}  ${r.host}  ${what}${error}`;
}

/** mkcert-like: where the CA is, its fingerprint, and the commands that make each kind of client trust it. */
function trustInstructions(path: string, fingerprint: string): string[] {
  return [
    `Hop3's local CA: ${path}`,
    `SHA-256 fingerprint: ${fingerprint}`,
    "",
    "Copy it to the machine whose browser or tools should trust the apps' local names (scp root@SERVER:" + path + " hop3-ca.pem), then:",
    "  Debian, Ubuntu:  sudo cp hop3-ca.pem /usr/local/share/ca-certificates/hop3-ca.crt && sudo update-ca-certificates",
    "  Fedora, RHEL:    sudo cp hop3-ca.pem /etc/pki/ca-trust/source/anchors/hop3-ca.pem && sudo update-ca-trust",
    "  macOS:           sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain hop3-ca.pem",
    "  Windows:         certutil -addstore -f ROOT hop3-ca.pem",
    "  Firefox:         Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import",
    "  curl:            curl --cacert hop3-ca.pem https://APP.localhost:8443/",
    "  Node.js:         NODE_EXTRA_CA_CERTS=hop3-ca.pem",
    "Check the fingerprint after copying. Anyone with this CA's key (root on this server) can sign any name for a machine that trusts it: trust it only on your own machines.",
  ];
}
