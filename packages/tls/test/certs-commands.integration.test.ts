import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCli, memoryIO } from "@hop3/cli-kit";
import { createDistribution, writeAppRecord, type Distribution } from "@hop3/core";
import { nginxRouterPlugin } from "@hop3/router-nginx";
import { freePort, httpGet } from "@hop3/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tlsPlugin } from "../src/plugin.js";
import { startPebble, type Pebble } from "./pebble.js";

// The names come from the app record (core's domains), as `hop3 domains add` leaves them.
let root: string;
let env: Record<string, string | undefined>;
let dist: Distribution;
let pebble: Pebble;
let httpPort: number;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "hop3-certs-cli-"));
  chmodSync(root, 0o755);
  const home = join(root, "home");
  [httpPort] = await Promise.all([freePort()]);
  pebble = await startPebble({ httpPort, validitySeconds: 3600 });
  env = {
    ...process.env,
    HOP3_HOME: home,
    HOP3_HTTP_PORT: String(httpPort),
    HOP3_HTTPS_PORT: String(await freePort()),
    HOP3_ACME_DIRECTORY: pebble.directory,
    HOP3_ACME_CA_BUNDLE: pebble.tlsCaFile,
    HOP3_PLUGINS: "",
    HOP3_CONFIG: join(root, "none.json"),
    NO_COLOR: "1",
  };
  dist = createDistribution({ plugins: [nginxRouterPlugin({}, env), tlsPlugin()], env });
  const site = join(root, "site");
  mkdirSync(site, { mode: 0o755 });
  writeFileSync(join(site, "index.html"), "docs\n", { mode: 0o644 });
  writeAppRecord(home, { name: "docs", source: site, appEnv: {}, userEnv: {}, scale: {}, domains: ["docs.example.com"] });
  await dist.router().apply({ app: "docs", hosts: ["docs.localhost", "docs.example.com"], upstreams: [], staticDir: site }, dist.operationContext());
}, 60_000);

afterAll(async () => {
  await dist?.router().stop(dist.operationContext());
  await pebble?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function hop3(...argv: string[]) {
  const cli = createCli(async () => dist, { name: "hop3", version: "0.0.0", pluginsFrom: false });
  const io = memoryIO(root, env);
  const code = await cli.run(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe("hop3 certs", () => {
  it("shows no certificate before any is issued", async () => {
    const { code, out } = await hop3("certs", "--json");
    expect(code).toBe(0);
    expect(JSON.parse(out).certificates).toEqual([
      { app: "docs", host: "docs.localhost", source: "local", status: "none" },
      { app: "docs", host: "docs.example.com", source: "acme", status: "none" },
    ]);
  });

  it("renew issues the app's local name from the local CA and its domain from the ACME CA, then nginx redirects the domain", async () => {
    const { code, out, err } = await hop3("certs", "renew");
    expect(code, err).toBe(0);
    expect(out).toMatch(/^docs\.localhost: issued \(local CA\), valid until /m);
    expect(out).toMatch(/^docs\.example\.com: issued \(ACME\), valid until /m);
    expect(out).toContain("nginx now serves the new certificates of: docs");
    expect((await httpGet(httpPort, "docs.example.com")).status).toBe(301);
    expect((await httpGet(httpPort, "docs.localhost")).status).toBe(200);
  });

  it("lists each name with its issuer and expiry, and a second renew has nothing to do", async () => {
    const listed = JSON.parse((await hop3("certs", "docs", "--json")).out).certificates;
    expect(listed.map((c: { host: string; status: string }) => [c.host, c.status])).toEqual([
      ["docs.localhost", "valid"],
      ["docs.example.com", "valid"],
    ]);
    expect(listed[0].issuer).toContain("Hop3 local CA");
    expect(listed[1].issuer).toContain("Pebble");
    expect((await hop3("certs", "renew")).out).toBe("nothing to do: every certificate is valid\n");
  });

  it("ca prints the CA's path and how to trust it", async () => {
    const { out } = await hop3("certs", "ca");
    expect(out).toContain(`Hop3's local CA: ${join(root, "home", "tls", "ca", "ca.pem")}`);
    expect(out).toContain("update-ca-certificates");
    expect(out).toMatch(/SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
  });

  it("removes the key and certificate of a name no app has anymore, but none while an app's record cannot be read", async () => {
    const home = join(root, "home");
    const certDir = (host: string) => join(home, "tls", "certs", host);
    writeAppRecord(home, { name: "docs", source: join(root, "site"), appEnv: {}, userEnv: {}, scale: {}, domains: [] });
    await dist.router().apply({ app: "docs", hosts: ["docs.localhost"], upstreams: [], staticDir: join(root, "site") }, dist.operationContext());
    mkdirSync(join(home, "apps", "broken"), { recursive: true });
    writeFileSync(join(home, "apps", "broken", "app.json"), "{ not json");
    expect((await hop3("certs", "renew")).out).not.toContain("removed");
    expect(existsSync(certDir("docs.example.com"))).toBe(true);

    rmSync(join(home, "apps", "broken"), { recursive: true });
    const { code, out } = await hop3("certs", "renew");
    expect(code).toBe(0);
    expect(out).toContain("docs.example.com: certificate removed (no app has this name anymore)");
    expect(existsSync(certDir("docs.example.com"))).toBe(false);
    expect(existsSync(join(certDir("docs.localhost"), "served.pem"))).toBe(true);
    expect((await httpGet(httpPort, "docs.localhost")).status).toBe(200);
  });
});
