import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLogFile } from "@hop3/ssh-access";
import type { TestKey } from "@hop3/test-support/sshd";
import { hop3FromSource, startKeysServer, type KeysServer, type Ran } from "./keys-server.js";
import { freePort, hop3, httpGet } from "./run-hop3.js";

// hop3 deploy --build-here against a real sshd, through deploy keys: nix-build on the "developer
// machine", nix-copy-closure to the server (its far side, `nix-store --serve --write`, run by the
// key's forced command), then `hop3 deploy --store-path` there, through the real nginx.
// Client and server share this machine's one Nix store: the copy finds every path valid already and
// sends nothing, but the protocol still runs end to end (the forced command, the audit log, the
// refusal of a limited key). The server side is setup's login user with its own HOP3_HOME.
const fixtures = resolve(import.meta.dirname, "../../../test-fixtures/apps");
const root = mkdtempSync(join(tmpdir(), "hop3-buildhere-"));
chmodSync(root, 0o711); // the login user passes to its home under HOP3_HOME
const home = join(root, "home");
let env: Record<string, string> = {};
let port = 0;
let server: KeysServer;
const run = (...args: string[]) => hop3(args, env);

/** The developer's hop3 as `npx @hop3/cli` runs it: its own config, ssh reading the given ssh_config only. */
function client(key: TestKey, ...args: string[]): Promise<Ran> {
  const { developer } = server;
  const config = join(developer, `ssh_config-${key === server.admin ? "admin" : "limited"}`);
  writeFileSync(config, ["Host *", `  IdentityFile ${key.privateKey}`, "  IdentitiesOnly yes", `  UserKnownHostsFile ${join(developer, "known_hosts")}`, "  GlobalKnownHostsFile /dev/null", ""].join("\n"));
  return server.runProgram(hop3FromSource()[0]!, hop3FromSource().slice(1).concat(args), {
    env: { XDG_CONFIG_HOME: join(developer, "config"), HOP3_SSH_CONFIG: config, HOP3_HOME: join(developer, "not-a-server"), SSH_CONNECTION: "", NO_COLOR: "1", NIX_CONFIG: "substituters =\n" },
  });
}

const auditLog = () => readFileSync(auditLogFile(home), "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
const liveRelease = async () => (await run("status", "web", "--json")).json<{ release: string | null }>().release;

/** The nix-web fixture with its own greeting: a package of its own in the store. */
function appSaying(name: string, greeting: string): string {
  const dir = join(root, name);
  cpSync(join(fixtures, "nix-web"), dir, { recursive: true });
  writeFileSync(join(dir, "server.py"), readFileSync(join(dir, "server.py"), "utf8").replace('f"hello from {args.name}"', JSON.stringify(greeting)));
  return dir;
}

beforeAll(async () => {
  port = await freePort();
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port), NIX_CONFIG: "substituters =\n" };
  server = await startKeysServer(root, env, { name: "ci-web", apps: "web" });
  for (const [key, name] of [
    [server.admin, "prod"],
    [server.limited, "ci"],
  ] as const) {
    const added = await client(key, "remote", "add", name, `ssh://${server.login.user}@127.0.0.1:${server.sshd.port}`);
    expect(added.code, added.stderr).toBe(0);
  }
}, 240_000);

afterAll(async () => {
  await server?.stop();
});

describe.sequential("hop3 deploy --build-here, through a real sshd", () => {
  it("builds here, copies the closure through an unlimited deploy key, and the server deploys the store path without evaluating hop3.nix", async () => {
    const app = appSaying("here", "hello from here");
    const deployed = await client(server.admin, "deploy", app, "--app", "web", "--remote", "prod", "--build-here");
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stderr).toMatch(/build here with nix: done .*\/nix\/store\/[0-9a-z]{32}-nix-web/);
    expect(deployed.stderr).toMatch(/copy to prod: done/);
    expect(deployed.stderr).toMatch(/plan: done .*nix: prebuilt store path/);
    expect((await httpGet(port, "web.localhost")).body).toContain("hello from here");

    const releases = (await run("releases", "web", "--json")).json<Array<{ builder: string; artifact: { location: string; metadata: Record<string, unknown> } }>>();
    expect(releases).toHaveLength(1);
    expect(releases[0]).toMatchObject({ builder: "nix", artifact: { metadata: { prebuilt: true } } });
    expect(releases[0]!.artifact.metadata.nixFile).toBeUndefined();
    expect(auditLog()).toContainEqual(expect.objectContaining({ key: "admin", argv: ["nix-store", "--serve", "--write"], outcome: "run" }));
    expect(auditLog()).toContainEqual(expect.objectContaining({ key: "admin", argv: ["hop3", "deploy", "--store-path", releases[0]!.artifact.location, "--app", "web"], outcome: "run" }));
  }, 240_000);

  it("refuses the copy to a key limited to apps, even its own app: nothing is deployed", async () => {
    const before = (await run("releases", "web", "--json")).json<unknown[]>().length;
    const app = appSaying("limited", "hello from a limited key");
    const refused = await client(server.limited, "deploy", app, "--app", "web", "--remote", "ci", "--build-here");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("error[BUILD_HERE_COPY_FAILED]");
    expect(refused.stderr).toContain("SSH_KEY_NIX_STORE_DENIED");
    expect(refused.stderr).not.toMatch(/plan: started/);
    expect((await run("releases", "web", "--json")).json<unknown[]>()).toHaveLength(before);
    expect((await httpGet(port, "web.localhost")).body).toContain("hello from here");
    expect(auditLog()).toContainEqual(expect.objectContaining({ key: "ci-web", line: "nix-store --serve --write", outcome: "refused", code: "SSH_KEY_NIX_STORE_DENIED" }));
  }, 240_000);

  it("lets a limited key deploy a store path to its app once it is on the server (copied by someone trusted)", async () => {
    const location = (await run("releases", "web", "--json")).json<Array<{ artifact: { location: string } }>>()[0]!.artifact.location;
    const deployed = await client(server.limited, "deploy", "--store-path", location, "--app", "web", "--remote", "ci");
    expect(deployed.code, deployed.stderr).toBe(0);
    expect((await httpGet(port, "web.localhost")).body).toContain("hello from here");
    const other = await client(server.limited, "deploy", "--store-path", location, "--app", "other", "--remote", "ci");
    expect(other.stderr).toContain("SSH_KEY_APP_DENIED");
  }, 240_000);

  it("refuses, on the server, a path that is not a store path, one not in its store, and one without hop3/runtime.json; the live release keeps serving", async () => {
    const live = await liveRelease();
    expect(live).toMatch(/^\S+$/);
    const notAPath = await run("deploy", "--store-path", "/etc", "--app", "web");
    expect(notAPath.stderr).toContain("error[NIX_STORE_PATH_INVALID]");
    const absent = await run("deploy", "--store-path", "/nix/store/00000000000000000000000000000000-never-built", "--app", "web");
    expect(absent.code).not.toBe(0);
    expect(absent.stderr).toContain("error[NIX_STORE_PATH_MISSING]");
    // A valid store path that is no Hop3 package: a plain directory added to the store.
    const plain = join(root, "plain");
    mkdirSync(join(plain, "bin"), { recursive: true });
    writeFileSync(join(plain, "bin", "hello"), "#!/bin/sh\necho hello\n");
    const added = await server.runProgram("nix-store", ["--add", plain]);
    expect(added.code, added.stderr).toBe(0);
    const noRuntime = await run("deploy", "--store-path", added.stdout.trim(), "--app", "web");
    expect(noRuntime.code).not.toBe(0);
    expect(noRuntime.stderr).toContain("error[NIX_RUNTIME_JSON_MISSING]");
    const withoutApp = await run("deploy", "--store-path", added.stdout.trim());
    expect(withoutApp.stderr).toContain("error[STORE_PATH_APP_MISSING]");
    expect(await liveRelease()).toEqual(live);
    expect((await httpGet(port, "web.localhost")).body).toContain("hello from here");
  }, 240_000);
});
