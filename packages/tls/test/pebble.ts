import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@hop3/test-support";

/** Pebble (Let's Encrypt's ACME test server) and its DNS, on loopback, for one test file. */
export interface Pebble {
  /** The ACME directory URL. */
  readonly directory: string;
  /** The CA of Pebble's own HTTPS certificate: what Hop3 is told to trust for the ACME server (HOP3_ACME_CA_BUNDLE). */
  readonly tlsCaFile: string;
  /** The root that signs the certificates Pebble issues (it changes on every start). */
  issuingRoot(): Promise<string>;
  /** Makes Pebble resolve a name to an address (every other name resolves to 127.0.0.1). */
  resolve(host: string, address: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts pebble-challtestsrv as Pebble's DNS (every name is 127.0.0.1 unless told otherwise) and
 * Pebble, validating HTTP-01 on `httpPort` (Hop3's nginx), issuing certificates valid for
 * `validitySeconds`. PEBBLE_VA_ALWAYS_VALID stays unset: every challenge is really fetched.
 */
export async function startPebble({ httpPort, validitySeconds }: { httpPort: number; validitySeconds: number }): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), "hop3-pebble-"));
  const [acmePort, managementPort, dnsPort, dnsManagementPort, tlsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  // Pebble's example certificates are not shipped: a CA and a certificate for 127.0.0.1/localhost.
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Pebble test TLS CA");
  openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "key.pem", "-out", "server.csr", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-out", "cert.pem", "-copy_extensions", "copy");
  writeFileSync(
    join(dir, "pebble.json"),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: join(dir, "cert.pem"),
        privateKey: join(dir, "key.pem"),
        httpPort,
        tlsPort,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
        certificateValidityPeriod: validitySeconds,
      },
    }),
  );
  const processes: ChildProcess[] = [];
  const log = (name: string) => (chunk: Buffer) => writeFileSync(join(dir, `${name}.log`), chunk, { flag: "a" });
  const start = (name: string, args: string[], env: Record<string, string> = {}) => {
    const child = spawn(name, args, { cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", log(name));
    child.stderr!.on("data", log(name));
    processes.push(child);
  };
  start("pebble-challtestsrv", ["-dns01", `127.0.0.1:${dnsPort}`, "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", `127.0.0.1:${dnsManagementPort}`, "-defaultIPv6", ""]);
  start("pebble", ["-config", join(dir, "pebble.json"), "-dnsserver", `127.0.0.1:${dnsPort}`], { PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0" });
  const ca = readFileSync(join(dir, "ca.pem"));
  const get = (url: string) => fetchText(url, ca);
  const directory = `https://127.0.0.1:${acmePort}/dir`;
  await waitFor(() => get(directory), `Pebble on ${directory} (log: ${join(dir, "pebble.log")})`);
  await waitFor(() => postJson(`http://127.0.0.1:${dnsManagementPort}/set-default-ipv4`, { ip: "127.0.0.1" }), "pebble-challtestsrv");
  return {
    directory,
    tlsCaFile: join(dir, "ca.pem"),
    issuingRoot: () => get(`https://127.0.0.1:${managementPort}/roots/0`),
    resolve: (host, address) => postJson(`http://127.0.0.1:${dnsManagementPort}/add-a`, { host, addresses: [address] }),
    async stop() {
      await Promise.all(processes.map((child) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once("exit", () => resolve()), child.kill("SIGTERM"))))));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function fetchText(url: string, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 5_000 }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => ((res.statusCode ?? 0) < 400 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end();
  });
}

async function postJson(url: string, body: unknown): Promise<void> {
  const response = await fetch(url, { method: "POST", body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
}

async function waitFor(check: () => Promise<unknown>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} did not answer within 15 s: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
