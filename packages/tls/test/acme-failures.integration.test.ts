import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareTlsDirs } from "@hop3/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueAcmeCertificate } from "../src/acme.js";
import { issueLocalCertificate, localCaFiles } from "../src/local-ca.js";
import { resolveTlsSettings } from "../src/options.js";

// A CA that answers its directory and nonces, then refuses new accounts the way the test says:
// what Let's Encrypt does when a rate limit is reached, or when it fails inside.
let home: string;
let server: Server;
let port: number;
let answer: { status: number; type: string; detail: string };

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "hop3-acme-failures-"));
  prepareTlsDirs(home);
  const { certPem, keyPem } = await issueLocalCertificate(home, "localhost");
  server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    const base = `https://localhost:${port}`;
    res.setHeader("Replay-Nonce", `nonce${Math.random().toString(36).slice(2)}`);
    if (req.url === "/dir") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ newNonce: `${base}/nonce`, newAccount: `${base}/account`, newOrder: `${base}/order` }));
    } else if (req.url === "/nonce") {
      res.end();
    } else {
      req.resume();
      res.statusCode = answer.status;
      res.setHeader("content-type", "application/problem+json");
      res.end(JSON.stringify({ type: `urn:ietf:params:acme:error:${answer.type}`, detail: answer.detail, status: answer.status }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(() => {
  server?.close();
  rmSync(home, { recursive: true, force: true });
});

const settings = () => resolveTlsSettings({ acmeDirectory: `https://localhost:${port}/dir`, acmeCaBundle: localCaFiles(home).cert }, {});

describe("ACME failures", () => {
  it("a rate limit is TLS_ACME_RATE_LIMITED, with the CA's words", async () => {
    answer = { status: 429, type: "rateLimited", detail: "too many certificates already issued for example.com" };
    await expect(issueAcmeCertificate(home, "shop.example.com", settings())).rejects.toMatchObject({
      code: "TLS_ACME_RATE_LIMITED",
      message: expect.stringContaining("too many certificates already issued"),
    });
  });

  it("a CA failing inside is TLS_ACME_UNAVAILABLE", async () => {
    answer = { status: 503, type: "serverInternal", detail: "the service is down for maintenance" };
    await expect(issueAcmeCertificate(home, "shop.example.com", settings())).rejects.toMatchObject({ code: "TLS_ACME_UNAVAILABLE" });
  });

  it("a CA whose HTTPS certificate is not trusted is TLS_ACME_UNAVAILABLE, and verification stays on", async () => {
    const untrusted = resolveTlsSettings({ acmeDirectory: `https://localhost:${port}/dir` }, {});
    await expect(issueAcmeCertificate(home, "shop.example.com", untrusted)).rejects.toMatchObject({
      code: "TLS_ACME_UNAVAILABLE",
      message: expect.stringMatching(/certificate/i),
    });
  });

  it("an unreadable CA bundle is TLS_CA_BUNDLE_UNREADABLE", async () => {
    const missing = resolveTlsSettings({ acmeDirectory: `https://localhost:${port}/dir`, acmeCaBundle: join(home, "nope.pem") }, {});
    await expect(issueAcmeCertificate(home, "shop.example.com", missing)).rejects.toMatchObject({ code: "TLS_CA_BUNDLE_UNREADABLE" });
  });
});
