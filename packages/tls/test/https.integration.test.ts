import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { certificateFiles, createDistribution, tlsLayout, type Distribution } from "@hop3/core";
import { nginxRouterPlugin } from "@hop3/router-nginx";
import { freePort, httpGet } from "@hop3/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localCaFiles } from "../src/local-ca.js";
import { resolveTlsSettings, type TlsSettings } from "../src/options.js";
import { certificatesHealth, renewCertificates } from "../src/certificates.js";
import { readState } from "../src/store.js";
import { startPebble, type Pebble } from "./pebble.js";

const run = promisify(execFile);
/** Pebble's certificates live 10 minutes: a third of that left (200 s) takes the renewal path. */
const VALIDITY_SECONDS = 600;

let root: string;
let home: string;
let site: string;
let httpPort: number;
let httpsPort: number;
let pebble: Pebble;
let dist: Distribution;
let acme: TlsSettings;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "hop3-tls-test-"));
  chmodSync(root, 0o755);
  home = join(root, "home");
  [httpPort, httpsPort] = await Promise.all([freePort(), freePort()]);
  const env = { ...process.env, HOP3_HOME: home, HOP3_HTTP_PORT: String(httpPort), HOP3_HTTPS_PORT: String(httpsPort) };
  dist = createDistribution({ plugins: [nginxRouterPlugin({}, env)], env });
  pebble = await startPebble({ httpPort, validitySeconds: VALIDITY_SECONDS });
  acme = resolveTlsSettings({ acmeDirectory: pebble.directory, acmeCaBundle: pebble.tlsCaFile }, {});
  // One static site, world-readable as a release is, routed under the names each test uses.
  site = join(root, "site");
  mkdirSync(site, { mode: 0o755 });
  writeFileSync(join(site, "index.html"), "hello over tls\n", { mode: 0o644 });
  const router = dist.router();
  const context = dist.operationContext();
  await router.apply({ app: "blog", hosts: ["blog.localhost"], upstreams: [], staticDir: site }, context);
  await router.apply({ app: "shop", hosts: ["shop.localhost", "shop.example.com"], upstreams: [], staticDir: site }, context);
  await router.apply({ app: "lost", hosts: ["lost.localhost", "lost.example.com"], upstreams: [], staticDir: site }, context);
}, 60_000);

afterAll(async () => {
  await dist?.router().stop(dist.operationContext());
  await pebble?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** curl over HTTPS to nginx, the name resolved to 127.0.0.1, trusting only `caFile`. */
async function curlHttps(host: string, caFile: string, path = "/"): Promise<string> {
  const { stdout } = await run("curl", ["--silent", "--show-error", "--fail", "--cacert", caFile, "--resolve", `${host}:${httpsPort}:127.0.0.1`, `https://${host}:${httpsPort}${path}`]);
  return stdout;
}

/** openssl s_client's whole output (it exits non-zero when the handshake fails). */
async function sClient(...args: string[]): Promise<string> {
  try {
    const client = run("openssl", ["s_client", "-connect", `127.0.0.1:${httpsPort}`, "-servername", "blog.localhost", ...args], { timeout: 10_000 });
    client.child.stdin?.end(); // nothing to send: it closes once the handshake is done
    const { stdout, stderr } = await client;
    return stdout + stderr;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    return `${stdout}${stderr}\nFAILED`;
  }
}

describe("the local CA", () => {
  it("signs APP.localhost, and nginx serves it over HTTPS: curl --cacert with the CA verifies the chain", async () => {
    const outcome = await renewCertificates(dist, acme, { hosts: [{ app: "blog", host: "blog.localhost" }] });
    expect(outcome.failed).toEqual([]);
    expect(outcome.issued.map((i) => [i.host, i.source])).toEqual([["blog.localhost", "local"]]);
    expect(outcome.reloaded).toEqual(["blog"]);
    expect(await curlHttps("blog.localhost", localCaFiles(home).cert)).toBe("hello over tls\n");
    // A local name is not redirected: a browser that does not trust the local CA still reaches the app.
    expect((await httpGet(httpPort, "blog.localhost")).status).toBe(200);
  });

  it("keeps keys and certificates 0600, readable by Hop3 alone", () => {
    const files = certificateFiles(home, "blog.localhost");
    for (const file of [files.cert, files.served, localCaFiles(home).key]) expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(files.dir).mode & 0o777).toBe(0o700);
    expect(statSync(tlsLayout(home).certs).mode & 0o777).toBe(0o700);
  });

  it("keeps every key out of reach of an app's user and of nginx's workers", async () => {
    // `nobody` stands for an app's user; as root the workers run as the web user, which has no more rights here.
    for (const file of [certificateFiles(home, "blog.localhost").served, localCaFiles(home).key]) {
      await expect(run("runuser", ["-u", "nobody", "--", "cat", file])).rejects.toThrow(/Permission denied/);
    }
  });

  it("is refused by a client that does not trust it", async () => {
    await expect(curlHttps("blog.localhost", pebble.tlsCaFile)).rejects.toThrow(/certificate/i);
  });
});

describe("nginx's TLS", () => {
  it("refuses TLS 1.0 and 1.1 and takes TLS 1.2 and 1.3", async () => {
    // SECLEVEL=0 lets this client offer the old versions: the refusal is the server's.
    for (const version of ["-tls1", "-tls1_1"]) expect(await sClient(version, "-cipher", "DEFAULT@SECLEVEL=0")).toMatch(/FAILED/);
    expect(await sClient("-tls1_2")).toContain("New, TLSv1.2");
    expect(await sClient("-tls1_3")).toContain("New, TLSv1.3");
  });

  it("offers HTTP/2 by ALPN", async () => {
    expect(await sClient("-alpn", "h2,http/1.1")).toContain("ALPN protocol: h2");
  });

  it("refuses the handshake for a name that has no certificate", async () => {
    expect(await sClient("-servername", "nobody.example.com")).toMatch(/FAILED|alert/);
  });
});

describe("ACME against Pebble", () => {
  let root: string;
  beforeAll(async () => {
    root = join(home, "pebble-root.pem");
    writeFileSync(root, await pebble.issuingRoot());
  });

  it("issues a certificate for a public name through HTTP-01 served by Hop3's nginx, and serves its chain", async () => {
    const started = Date.now();
    const outcome = await renewCertificates(dist, acme, { hosts: [{ app: "shop", host: "shop.example.com" }] });
    expect(outcome.failed).toEqual([]);
    expect(outcome.issued.map((i) => [i.host, i.source])).toEqual([["shop.example.com", "acme"]]);
    expect(outcome.reloaded).toEqual(["shop"]);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await curlHttps("shop.example.com", root)).toBe("hello over tls\n");
    expect(readState(home, "shop.example.com")).toMatchObject({ source: "acme", failures: 0 });
    // Nothing of the order is left in the challenge directory.
    expect(readdirSync(tlsLayout(home).challenges)).toEqual([]);
  });

  it("answers ACME challenges from Hop3's directory, never from an app's files (an app cannot get a name validated)", async () => {
    const hostile = join(home, "..", "hostile");
    mkdirSync(join(hostile, ".well-known", "acme-challenge"), { recursive: true, mode: 0o755 });
    writeFileSync(join(hostile, "index.html"), "hostile\n", { mode: 0o644 });
    writeFileSync(join(hostile, ".well-known", "acme-challenge", "forged-token"), "forged-answer", { mode: 0o644 });
    chmodSync(join(hostile, ".well-known"), 0o755);
    await dist.router().apply({ app: "hostile", hosts: ["hostile.localhost", "hostile.example.com"], upstreams: [], staticDir: hostile }, dist.operationContext());
    const forged = await httpGet(httpPort, "hostile.example.com", "/.well-known/acme-challenge/forged-token");
    expect(forged.status).toBe(404);
    expect(forged.body).not.toContain("forged-answer");
    expect((await httpGet(httpPort, "hostile.example.com", "/")).body).toBe("hostile\n");
  });

  it("redirects the public name's HTTP to HTTPS, but for the ACME challenge path", async () => {
    const page = await httpGet(httpPort, "shop.example.com", "/promo?x=1");
    expect(page.status).toBe(301);
    expect(page.headers.location).toBe(`https://shop.example.com:${httpsPort}/promo?x=1`);
    writeFileSync(join(tlsLayout(home).challenges, "probe-token"), "probe-answer", { mode: 0o644 });
    try {
      const challenge = await httpGet(httpPort, "shop.example.com", "/.well-known/acme-challenge/probe-token");
      expect([challenge.status, challenge.body]).toEqual([200, "probe-answer"]);
    } finally {
      rmSync(join(tlsLayout(home).challenges, "probe-token"));
    }
    // The app's local name keeps plain HTTP.
    expect((await httpGet(httpPort, "shop.localhost")).status).toBe(200);
  });

  it("renews when a third of the lifetime is left, and reloads nginx only when a certificate changed", async () => {
    const before = readFileSync(certificateFiles(home, "shop.example.com").cert, "utf8");
    const notAfter = new Date(readState(home, "shop.example.com")!.notAfter!);
    const nothing = await renewCertificates(dist, acme, { hosts: [{ app: "shop", host: "shop.example.com" }] });
    expect(nothing.issued).toEqual([]);
    expect(nothing.reloaded).toEqual([]);
    const later = new Date(notAfter.getTime() - (VALIDITY_SECONDS / 3) * 1000 + 1000);
    const renewed = await renewCertificates(dist, acme, { hosts: [{ app: "shop", host: "shop.example.com" }], now: later });
    expect(renewed.failed).toEqual([]);
    expect(renewed.issued.map((i) => i.host)).toEqual(["shop.example.com"]);
    expect(renewed.reloaded).toEqual(["shop"]);
    expect(readFileSync(certificateFiles(home, "shop.example.com").cert, "utf8")).not.toBe(before);
    expect(await curlHttps("shop.example.com", root)).toBe("hello over tls\n");
  });

  it("refuses an order for a domain that does not point here: coded, naming the domain and the URL tried; the app keeps serving over HTTP; nothing is left", async () => {
    await pebble.resolve("lost.example.com", "127.0.0.2"); // nothing of ours listens there
    const outcome = await renewCertificates(dist, acme, { hosts: [{ app: "lost", host: "lost.example.com" }] });
    expect(outcome.issued).toEqual([]);
    expect(outcome.reloaded).toEqual([]);
    expect(outcome.failed).toHaveLength(1);
    const [failure] = outcome.failed;
    expect(failure!.code).toBe("TLS_ACME_CHALLENGE_FAILED");
    expect(failure!.message).toContain("lost.example.com");
    expect(failure!.message).toMatch(/http:\/\/lost\.example\.com\/\.well-known\/acme-challenge\/[A-Za-z0-9_-]+/);
    // No key, no certificate, no challenge file: only the record of the failure, with its backoff.
    const files = certificateFiles(home, "lost.example.com");
    expect(existsSync(files.cert) || existsSync(files.served)).toBe(false);
    expect(readdirSync(files.dir)).toEqual(["state.json"]);
    expect(readdirSync(tlsLayout(home).challenges)).toEqual([]);
    expect(readState(home, "lost.example.com")).toMatchObject({ failures: 1, lastError: { code: "TLS_ACME_CHALLENGE_FAILED" } });
    // The app is still up, over plain HTTP, with no redirect.
    const page = await httpGet(httpPort, "lost.example.com");
    expect([page.status, page.body]).toEqual([200, "hello over tls\n"]);
    // The next run waits for the backoff instead of asking the CA again.
    const again = await renewCertificates(dist, acme, { hosts: [{ app: "lost", host: "lost.example.com" }] });
    expect(again.failed).toEqual([]);
    expect(again.unchanged[0]!.reason).toContain("waiting after 1 failure");
  });

  it("is what doctor warns about: Pebble's 10-minute certificate expires within 14 days, the local CA's does not", () => {
    const health = certificatesHealth(home);
    expect(health.installed).toBe(2);
    expect(health.expiring.map((c) => c.host)).toEqual(["shop.example.com"]);
    expect(health.expiring[0]!.daysLeft).toBe(0);
  });

  it("names a CA that is down with TLS_ACME_UNAVAILABLE, and keeps the certificate in place", async () => {
    const down = resolveTlsSettings({ acmeDirectory: `https://127.0.0.1:${await freePort()}/dir` }, {});
    const outcome = await renewCertificates(dist, down, { hosts: [{ app: "shop", host: "shop.example.com" }], force: true });
    expect(outcome.failed.map((f) => f.code)).toEqual(["TLS_ACME_UNAVAILABLE"]);
    expect(await curlHttps("shop.example.com", root)).toBe("hello over tls\n");
  });
});
