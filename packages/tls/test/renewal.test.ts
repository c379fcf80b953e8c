import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDistribution, isLocalHostName } from "@hop3/core";
import { describe, expect, it } from "vitest";
import { backoffMs, renewalDue } from "../src/certificates.js";
import { LETS_ENCRYPT, LETS_ENCRYPT_STAGING, resolveTlsSettings } from "../src/options.js";
import { tlsPlugin } from "../src/plugin.js";

const DAY = 86_400_000;
const at = (ms: number) => new Date(ms);

describe("renewalDue", () => {
  it("is due 30 days before expiry for a 90-day certificate, not before", () => {
    const notBefore = at(0);
    const notAfter = at(90 * DAY);
    expect(renewalDue(notBefore, notAfter, at(59 * DAY))).toBe(false);
    expect(renewalDue(notBefore, notAfter, at(60 * DAY))).toBe(true);
  });

  it("is due at a third of the lifetime left for short-lived certificates", () => {
    const notBefore = at(0);
    const notAfter = at(6 * DAY); // 2 days is a third
    expect(renewalDue(notBefore, notAfter, at(3.9 * DAY))).toBe(false);
    expect(renewalDue(notBefore, notAfter, at(4 * DAY))).toBe(true);
  });
});

describe("backoffMs", () => {
  it("waits 5 minutes, doubling, at most a day; at least an hour after a rate limit", () => {
    expect([1, 2, 3].map((n) => backoffMs("TLS_ACME_UNAVAILABLE", n) / 60_000)).toEqual([5, 10, 20]);
    expect(backoffMs("TLS_ACME_UNAVAILABLE", 20)).toBe(DAY);
    expect(backoffMs("TLS_ACME_RATE_LIMITED", 1)).toBe(3_600_000);
  });
});

describe("isLocalHostName", () => {
  it.each(["app.localhost", "localhost", "printer.local", "x.test", "db.internal", "nas.home.arpa", "intranet"])("%s is local", (host) => {
    expect(isLocalHostName(host)).toBe(true);
  });
  it.each(["example.com", "shop.example.org", "localhost.example.com"])("%s is public", (host) => {
    expect(isLocalHostName(host)).toBe(false);
  });
});

describe("resolveTlsSettings", () => {
  it("defaults to Let's Encrypt production; staging is one setting away", () => {
    expect(resolveTlsSettings({}, {}).acmeDirectory).toBe(LETS_ENCRYPT);
    expect(resolveTlsSettings({}, { HOP3_ACME_STAGING: "1" }).acmeDirectory).toBe(LETS_ENCRYPT_STAGING);
    expect(resolveTlsSettings({ staging: true }, {}).acmeDirectory).toBe(LETS_ENCRYPT_STAGING);
    expect(resolveTlsSettings({}, { HOP3_ACME_DIRECTORY: "https://ca.example/dir", HOP3_ACME_STAGING: "1" }).acmeDirectory).toBe("https://ca.example/dir");
  });

  it.each([
    [{ acmeDirectory: "http://ca.example/dir" }, {}, "acmeDirectory"],
    [{ email: "not an address" }, {}, "email"],
    [{ acmeCaBundle: "relative.pem" }, {}, "acmeCaBundle"],
    [{}, { HOP3_ACME_STAGING: "yes please" }, "HOP3_ACME_STAGING"],
  ])("refuses %j %j with OPTIONS_INVALID naming it", (options, env, name) => {
    let error: unknown;
    try {
      resolveTlsSettings(options, env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: "OPTIONS_INVALID" });
    expect((error as Error).message).toContain(name);
  });
});

describe("tlsPlugin", () => {
  it("adds the certs commands and the renewal task of Hop3's schedule, which has nothing to do in an empty home", async () => {
    const home = mkdtempSync(join(tmpdir(), "hop3-tls-plugin-"));
    try {
      const dist = createDistribution({ plugins: [tlsPlugin()], env: { HOP3_HOME: home } });
      expect(dist.registry.cliCommands().map((c) => c.name.join(" "))).toEqual(["certs", "certs ca", "certs renew"]);
      const [task] = dist.registry.maintenanceTasks();
      expect(task!.name).toBe("tls-renewal");
      expect(await task!.run(dist, dist.operationContext())).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("validates its options at once", () => {
    expect(() => tlsPlugin({ acmeDirectory: "ftp://ca" })).toThrow(/acmeDirectory/);
  });
});
