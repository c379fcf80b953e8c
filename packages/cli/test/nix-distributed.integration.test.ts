import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesUnder } from "@hop3/test-support";
import { makeKey, startSshd, type TestKey, type TestSshd } from "@hop3/test-support/sshd";
import { freePort, hop3, httpGet } from "./run-hop3.js";

// Nix's distributed builds, for real: two Hop3 "servers" (each its own HOP3_HOME and config file),
// a remote builder behind a loopback sshd, and a file:// binary cache.
// - The builder is a machine with a store of its own: its key's forced command is
//   `nix-store --serve --write --store <dir>` (a chroot store, built in Nix's sandbox). A builder on
//   this machine's own store deadlocks: the client holds the output's lock while the builder waits on it.
// - This machine has one /nix/store, shared by both servers. To show that the second server builds
//   nothing, the path is deleted from the store after the first server built, pushed and destroyed it,
//   and the second server runs with `max-jobs = 0` and no builder: Nix cannot build anything there;
//   the path can only come, signed, from the cache.
const fixtures = resolve(import.meta.dirname, "../../../test-fixtures/apps");
const root = mkdtempSync(join(tmpdir(), "hop3-nixdist-"));
const cache = join(root, "cache");
const builderStore = join(root, "builder-store");
let sshd: TestSshd;
let key: TestKey;
let port = 0;
let portB = 0;
let envA: Record<string, string> = {};
let envB: Record<string, string> = {};
const onA = (...args: string[]) => hop3(args, envA);
const onB = (...args: string[]) => hop3(args, envB);

/** The nix-web fixture saying its own greeting: a store path of its own. */
function appSaying(greeting: string): string {
  const dir = join(mkdtempSync(join(root, "app-")), "web");
  cpSync(join(fixtures, "nix-web"), dir, { recursive: true });
  writeFileSync(join(dir, "server.py"), readFileSync(join(dir, "server.py"), "utf8").replace('f"hello from {args.name}"', JSON.stringify(`${greeting} (${run})`)));
  return dir;
}

const valid = (path: string) => spawnSync("nix-store", ["--check-validity", path]).status === 0;
/** Removes the path from this machine's store (it has no root left once its app is destroyed). */
function deleteFromStore(path: string): void {
  spawnSync("nix-store", ["--delete", path], { encoding: "utf8" });
  expect(valid(path), `${path} is still in the store`).toBe(false);
}
/** Greetings differ from one run of this file to the next: a store path left by an earlier run is never reused. */
const run = randomBytes(4).toString("hex");
const narinfo = (path: string) => join(cache, `${basename(path).slice(0, 32)}.narinfo`);

beforeAll(async () => {
  [port, portB] = [await freePort(), await freePort()];
  // App users pass through to their homes under each HOP3_HOME.
  chmodSync(root, 0o711);
  for (const server of ["a", "b"]) mkdirSync(join(root, server), { mode: 0o711 });
  sshd = await startSshd({ dir: join(root, "sshd") });
  key = makeKey(join(root, "keys"), "builder");
  const serve = `nix-store --serve --write --store ${builderStore} --option sandbox true --option sandbox-paths '/bin /usr /lib /lib64'`;
  writeFileSync(sshd.authorizedKeysOf("root"), `command="${serve}",restrict ${key.publicLine}\n`);
  const nixConfig = "substituters =\n";
  envA = { HOP3_HOME: join(root, "a", "home"), HOP3_CONFIG: join(root, "a", "config.json"), HOP3_HTTP_PORT: String(port), NIX_CONFIG: nixConfig };
  envB = { HOP3_HOME: join(root, "b", "home"), HOP3_CONFIG: join(root, "b", "config.json"), HOP3_HTTP_PORT: String(portB), NIX_CONFIG: `${nixConfig}max-jobs = 0\n` };
}, 60_000);

afterAll(async () => {
  sshd?.stop();
  await onA("server", "stop");
  await onB("server", "stop");
  expect([...processesUnder(envA.HOP3_HOME!), ...processesUnder(envB.HOP3_HOME!)]).toEqual([]);
  rmSync(root, { recursive: true, force: true });
});

describe.sequential("Nix remote builders and a signed binary cache", () => {
  let publicKeyA = "";

  it("sets the builders, the cache and the key with hop3 nix commands, and checks them", async () => {
    const made = await onA("nix", "key", "generate", "--name", "server-a-1");
    expect(made.code, made.stderr).toBe(0);
    const secret = join(root, "a", "nix-signing-key.sec");
    expect(readFileSync(secret, "utf8")).toMatch(/^server-a-1:/);
    expect(execFileSync("stat", ["-c", "%a", secret], { encoding: "utf8" }).trim()).toBe("600");
    publicKeyA = (await onA("nix", "key", "show")).stdout.trim();
    expect(publicKeyA).toMatch(/^server-a-1:[A-Za-z0-9+/]{43}=$/);

    expect((await onA("nix", "cache", "set", `file://${cache}`)).code).toBe(0);
    expect(existsSync(join(cache, "nix-cache-info"))).toBe(true);
    const hostKey = sshd.knownHostsLine.split(" ").slice(1).join(" ");
    const added = await onA("nix", "builders", "add", "ssh://root@127.0.0.1", "--port", String(sshd.port), "--ssh-key", key.privateKey, "--host-key", hostKey, "--max-jobs", "2");
    expect(added.code, added.stderr).toBe(0);
    expect((await onA("nix", "builders", "fallback", "fail")).code).toBe(0);

    const config = JSON.parse(readFileSync(envA.HOP3_CONFIG!, "utf8")) as { nix: Record<string, unknown> };
    expect(config.nix).toMatchObject({ cache: `file://${cache}`, signingKey: secret, builders: { fallback: "fail", machines: [{ uri: "ssh://root@127.0.0.1", port: sshd.port, maxJobs: 2 }] } });

    const checked = await onA("nix", "check", "--json");
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    const names = checked.json<{ checks: Array<{ name: string; ok: boolean }> }>().checks.map((check) => `${check.name}:${check.ok}`);
    expect(names).toEqual(expect.arrayContaining(["builder ssh://root@127.0.0.1:true", "signing key:true", `cache file://${cache}:true`, "trusted keys:true"]));

    const bad = await onA("nix", "builders", "add", "ssh://root@host;rm -rf /");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("NIX_CONFIG_INVALID");
  }, 180_000);

  let first = "";
  it("builds on the remote builder, signs the closure and pushes it to the cache", async () => {
    const deployed = await onA("deploy", appSaying("hello, built remotely"), "--json");
    expect(deployed.code, deployed.stderr).toBe(0);
    const data = deployed.json<{ artifact: { location: string; origin?: string } }>();
    first = data.artifact.location;
    expect(data.artifact.origin).toBe("built-remotely");
    // The builder's own store holds what it built.
    expect(existsSync(join(builderStore, first))).toBe(true);
    expect(readFileSync(narinfo(first), "utf8")).toContain("Sig: server-a-1:");
    expect((await httpGet(port, "web.localhost")).body).toContain("hello, built remotely");
    expect((await onA("destroy", "web", "--yes")).code).toBe(0);
    deleteFromStore(first);
  }, 240_000);

  it("deploys on a second server by substituting from the cache: nothing is built there", async () => {
    expect((await onB("nix", "cache", "set", `file://${cache}`)).code).toBe(0);
    expect((await onB("nix", "trust", publicKeyA)).code).toBe(0);
    const deployed = await onB("deploy", appSaying("hello, built remotely"));
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stdout, deployed.stderr).toMatch(/web is live: .* \(substituted\)/);
    expect(deployed.stderr).not.toMatch(/building '/);
    const releases = (await onB("releases", "web", "--json")).json<Array<{ artifact: { location: string; metadata: Record<string, unknown> } }>>();
    expect(releases[0]!.artifact).toMatchObject({ location: first, metadata: { origin: "substituted" } });
    expect((await httpGet(portB, "web.localhost")).body).toContain("hello, built remotely");
  }, 240_000);

  it("refuses a closure whose signature in the cache does not verify, and keeps the running release", async () => {
    const app = appSaying("hello, tampered with");
    const built = await onA("deploy", app, "--json");
    expect(built.code, built.stderr).toBe(0);
    const second = built.json<{ artifact: { location: string } }>().artifact.location;
    expect((await onA("destroy", "web", "--yes")).code).toBe(0);
    deleteFromStore(second);
    // A signature that no longer matches what it signs (one byte of it changed).
    const info = readFileSync(narinfo(second), "utf8");
    writeFileSync(narinfo(second), info.replace(/^Sig: server-a-1:(.)/m, (_line, first: string) => `Sig: server-a-1:${first === "A" ? "B" : "A"}`));

    const refused = await onB("deploy", app);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("NIX_SIGNATURE_INVALID");
    expect(valid(second)).toBe(false);
    expect((await httpGet(portB, "web.localhost")).body).toContain("hello, built remotely");
  }, 240_000);

  it("fails with NIX_BUILDER_UNREACHABLE when the builder is down and fallback is fail; builds here with fallback local", async () => {
    const down = await freePort();
    const hostKey = sshd.knownHostsLine.split(" ").slice(1).join(" ");
    expect((await onA("nix", "builders", "add", "ssh://root@127.0.0.1", "--port", String(down), "--ssh-key", key.privateKey, "--host-key", hostKey)).code).toBe(0);
    const app = appSaying("hello, builder down");
    const failed = await onA("deploy", app);
    expect(failed.code, failed.stdout + failed.stderr).not.toBe(0);
    expect(failed.stderr).toContain("NIX_BUILDER_UNREACHABLE");
    expect((await onA("nix", "check")).code).toBe(1);

    expect((await onA("nix", "builders", "fallback", "local")).code).toBe(0);
    const local = await onA("deploy", app, "--json");
    expect(local.code, local.stderr).toBe(0);
    expect(local.json<{ artifact: { origin?: string } }>().artifact.origin).toBe("built");
    expect(local.stderr).toMatch(/built here instead/);
    expect((await onA("destroy", "web", "--yes")).code).toBe(0);
  }, 240_000);

  it("reports a file:// cache that is gone as NIX_CACHE_UNREACHABLE", async () => {
    const moved = `${cache}-moved`;
    execFileSync("mv", [cache, moved]);
    try {
      const failed = await onB("deploy", appSaying("hello, cache gone"));
      expect(failed.code).not.toBe(0);
      expect(failed.stderr).toContain("NIX_CACHE_UNREACHABLE");
      expect((await httpGet(portB, "web.localhost")).body).toContain("hello, built remotely");
    } finally {
      execFileSync("mv", [moved, cache]);
    }
    expect(readdirSync(cache)).toContain("nix-cache-info");
  }, 240_000);
});
