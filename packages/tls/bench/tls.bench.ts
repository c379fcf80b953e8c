import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type TLSSocket } from "node:tls";
import { defineBench, type BenchCase } from "@hop3/bench";
import { createDistribution, type Distribution } from "@hop3/core";
import { nginxRouterPlugin } from "@hop3/router-nginx";
import { freePort } from "@hop3/test-support";
import { issueAcmeCertificate } from "../src/acme.js";
import { renewCertificates } from "../src/certificates.js";
import { localCaFiles } from "../src/local-ca.js";
import { resolveTlsSettings, type TlsSettings } from "../src/options.js";
import { startPebble, type Pebble } from "../test/pebble.js";

const HOST = "bench.localhost";
const PUBLIC = "bench.example.com";
const REQUESTS = 50;

interface World {
  root: string;
  dist: Distribution;
  pebble: Pebble;
  acme: TlsSettings;
  httpPort: number;
  httpsPort: number;
  ca: Buffer;
  session?: Buffer;
  resumed: number;
  handshakes: number;
}
let world: World;

/** `count` GETs one after the other on one kept-alive connection; resolves when the last body is read. */
async function sequentialGets(get: () => Promise<void>, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await get();
}

function getOver(request: typeof httpRequest | typeof httpsRequest, options: Record<string, unknown>): () => Promise<void> {
  return () =>
    new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", path: "/", ...options }, (res) => {
        res.resume();
        res.on("end", () => resolve());
      });
      req.on("error", reject);
      req.end();
    });
}

/** One TLS handshake to nginx, timed to the end of the handshake: a full one, or one resuming the last session. */
function handshake(resume: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connect({ host: "127.0.0.1", port: world.httpsPort, servername: HOST, ca: world.ca, maxVersion: "TLSv1.2", ...(resume && world.session && { session: world.session }) }, () => {
      world.handshakes++;
      if (socket.isSessionReused()) world.resumed++;
      resolve();
      // TLS 1.3 sends its session after the handshake: a full handshake keeps it for the resumed side.
      setTimeout(() => socket.destroy(), resume ? 0 : 50);
    });
    socket.on("session", (session: Buffer) => {
      if (!resume) world.session = session;
    });
    socket.on("error", reject);
  });
}

export default defineBench({
  name: "tls",
  async setup() {
    const root = mkdtempSync(join(tmpdir(), "hop3-bench-tls-"));
    chmodSync(root, 0o755);
    const [httpPort, httpsPort] = await Promise.all([freePort(), freePort()]);
    const env = { ...process.env, HOP3_HOME: join(root, "home"), HOP3_HTTP_PORT: String(httpPort), HOP3_HTTPS_PORT: String(httpsPort) };
    const dist = createDistribution({ plugins: [nginxRouterPlugin({}, env)], env });
    const site = join(root, "site");
    mkdirSync(site, { mode: 0o755 });
    writeFileSync(join(site, "index.html"), "x".repeat(1024), { mode: 0o644 });
    await dist.router().apply({ app: "bench", hosts: [HOST, PUBLIC], upstreams: [], staticDir: site }, dist.operationContext());
    const pebble = await startPebble({ httpPort, validitySeconds: 3600 });
    const acme = resolveTlsSettings({ acmeDirectory: pebble.directory, acmeCaBundle: pebble.tlsCaFile }, {});
    await renewCertificates(dist, acme, { hosts: [{ app: "bench", host: HOST }] });
    world = { root, dist, pebble, acme, httpPort, httpsPort, ca: readFileSync(localCaFiles(dist.home).cert), resumed: 0, handshakes: 0 };
    return async () => {
      await dist.router().stop(dist.operationContext());
      await pebble.stop();
      rmSync(root, { recursive: true, force: true });
    };
  },
  cases(): BenchCase[] {
    const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: world.ca });
    const overHttp = getOver(httpRequest, { port: world.httpPort, headers: { host: HOST }, agent: httpAgent });
    const overHttps = getOver(httpsRequest, { port: world.httpsPort, servername: HOST, headers: { host: HOST }, agent: httpsAgent });
    return [
      {
        name: `${REQUESTS} GETs on one kept-alive connection: HTTPS vs HTTP through nginx`,
        subject: { label: "HTTPS (TLS 1.3)", run: () => sequentialGets(overHttps, REQUESTS) },
        baseline: { label: "HTTP", run: () => sequentialGets(overHttp, REQUESTS) },
        goal: "< 1.5x",
      },
      {
        name: "a new TLS 1.2 handshake vs a resumed session (nginx's shared session cache, by session id)",
        subject: { label: "full handshake", run: () => handshake(false) },
        baseline: { label: "resumed", run: () => handshake(true) },
        iterations: 20,
      },
      {
        name: "issuing a certificate against Pebble: hop3 certs renew (order, install, validated reload) vs the ACME order alone",
        subject: { label: "renewCertificates", run: () => renewCertificates(world.dist, world.acme, { hosts: [{ app: "bench", host: PUBLIC }], force: true }) },
        baseline: { label: "issueAcmeCertificate", run: () => issueAcmeCertificate(world.dist.home, PUBLIC, world.acme) },
        iterations: 5,
        goal: "< 3 s",
      },
    ];
  },
  notes: () => [`${world.resumed} of ${world.handshakes} handshakes resumed a session (the "resumed" side asks for it; the "full" side never does).`],
});
