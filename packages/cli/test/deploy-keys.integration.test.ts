import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, connect, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAppUser, lookupUser } from "@hop3/core";
import { auditLogFile, appRepository } from "@hop3/ssh-access";
import type { TestKey } from "@hop3/test-support/sshd";
import { hop3FromSource, startKeysServer, type KeysServer } from "./keys-server.js";
import { freePort, hop3, httpGet } from "./run-hop3.js";

// Deploy keys against a real sshd: setup's login user and sudoers rule, keys added with `hop3 keys`,
// each key's forced command (`sudo -n <HOP3_HOME>/bin/hop3 ssh-command --key NAME`), and git push
// deploys through the real nix-build and nginx. The "developer machine" is a directory with its own
// known_hosts and keys; ssh is the system client with no config but the test's.
const fixtures = resolve(import.meta.dirname, "../../../test-fixtures/apps");
const root = mkdtempSync(join(tmpdir(), "hop3-keys-"));
chmodSync(root, 0o711); // the login user passes to its home under HOP3_HOME
const home = join(root, "home");
let env: Record<string, string> = {};
let port = 0;
let server: KeysServer;
const run = (...args: string[]) => hop3(args, env);

/** The developer's ssh options: only the test's known_hosts, one identity, no prompt. */
const sshOptions = (key: TestKey) => [
  "-F",
  "/dev/null",
  "-i",
  key.privateKey,
  "-o",
  "IdentitiesOnly=yes",
  "-o",
  "BatchMode=yes",
  "-o",
  "StrictHostKeyChecking=yes",
  "-o",
  `UserKnownHostsFile=${join(server.developer, "known_hosts")}`,
  "-p",
  String(server.sshd.port),
];

const ssh = (key: TestKey, ...command: string[]) => server.runProgram("ssh", [...sshOptions(key), `${server.login.user}@127.0.0.1`, ...command]);
const git = (cwd: string, ...args: string[]) =>
  server.runProgram("git", ["-c", "user.name=Dev", "-c", "user.email=dev@example.com", ...args], { cwd, env: { GIT_SSH_COMMAND: ["ssh", ...sshOptions(server.admin)].join(" ") } });
const auditLog = () => readFileSync(auditLogFile(home), "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
const remoteOf = (app: string) => `ssh://${server.login.user}@127.0.0.1:${server.sshd.port}/${app}`;

beforeAll(async () => {
  port = await freePort();
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port), NIX_CONFIG: "substituters =\n", HOP3_UPLOAD_MAX_SIZE: "1M" };
  server = await startKeysServer(root, env, { name: "ci-web", apps: "pushed" });
}, 240_000);

afterAll(async () => {
  await server?.stop();
});

describe.sequential("deploy keys, through a real sshd", () => {
  it("setup made the login user: a shell, password field *, its home and ~/.ssh 0700, and a sudoers rule visudo accepts", async () => {
    const user = lookupUser(server.login.user);
    expect(user?.home).toBe(server.login.home);
    expect(readFileSync("/etc/shadow", "utf8")).toMatch(new RegExp(`^${server.login.user}:\\*:`, "m"));
    expect(statSync(server.login.home).mode & 0o777).toBe(0o700);
    expect(statSync(join(server.login.home, ".ssh")).mode & 0o777).toBe(0o700);
    expect(statSync(server.login.keysFile).mode & 0o777).toBe(0o600);
    expect(statSync(server.login.keysFile).uid).toBe(user?.uid);
    expect(readFileSync(server.login.sudoersFile, "utf8")).toContain(`${server.login.user} ALL=(root) NOPASSWD: ${server.login.entry} ssh-command *`);
    expect((await server.runProgram("visudo", ["-c", "-q", "-f", server.login.sudoersFile])).code).toBe(0);
  });

  it("writes each key with its forced command and restrict, and lists them", async () => {
    const text = readFileSync(server.login.keysFile, "utf8");
    expect(text).toContain(`command="sudo -n ${server.login.entry} ssh-command --key admin",restrict ssh-ed25519 `);
    expect(text).toContain(`command="sudo -n ${server.login.entry} ssh-command --key ci-web --apps pushed",restrict ssh-ed25519 `);
    const listed = (await run("keys", "list", "--json")).json<{ keys: Array<{ name: string; fingerprint: string; apps: string[] | null }> }>().keys;
    expect((await server.runProgram("ssh-keygen", ["-l", "-f", server.admin.publicKey])).stdout).toContain(` ${listed[0]!.fingerprint} `);
    expect(listed.map((k) => [k.name, k.apps])).toEqual([
      ["admin", null],
      ["ci-web", ["pushed"]],
    ]);
  });

  it("runs hop3 commands through a key, as root, with the server's HOP3_HOME, and logs them with the key's name", async () => {
    const version = await ssh(server.admin, "hop3", "version", "--json");
    expect(version.code, version.stderr + server.sshd.log()).toBe(0);
    expect(JSON.parse(version.stdout)).toMatchObject({ name: "hop3" });
    const apps = await ssh(server.admin, "hop3", "apps", "--json");
    expect(apps.code, apps.stderr).toBe(0);
    expect(auditLog()).toContainEqual(expect.objectContaining({ key: "admin", argv: ["hop3", "apps", "--json"], outcome: "run" }));
    expect(statSync(auditLogFile(home)).mode & 0o777).toBe(0o600);
  });

  it("gives no shell: sh -c id, a command with ;, and a login without a command are refused", async () => {
    const shell = await ssh(server.admin, "sh", "-c", "id");
    expect(shell.code).not.toBe(0);
    expect(shell.stderr).toContain("error[SSH_COMMAND_REFUSED]");
    expect(shell.stdout).not.toMatch(/uid=/);
    const chained = await ssh(server.admin, "hop3 version; id");
    expect(chained.code).not.toBe(0);
    expect(chained.stdout).not.toMatch(/uid=/);
    const interactive = await ssh(server.admin);
    expect(interactive.code).not.toBe(0);
    expect(interactive.stderr).toContain("deploy keys run hop3 commands and git push, never a shell");
    expect(interactive.stderr).toContain("error[SSH_COMMAND_MISSING]");
    expect(auditLog()).toContainEqual(expect.objectContaining({ key: "admin", line: "sh -c id", outcome: "refused", code: "SSH_COMMAND_REFUSED" }));
  });

  it("forwards no port: a connection through ssh -L never reaches the target", async () => {
    let reached = 0;
    const target: Server = createServer((socket) => {
      reached++;
      socket.end("secret\n");
    });
    const targetPort = await new Promise<number>((done) => target.listen(0, "127.0.0.1", () => done((target.address() as { port: number }).port)));
    const localPort = await freePort();
    const tunnel = spawn("ssh", [...sshOptions(server.admin), "-N", "-L", `${localPort}:127.0.0.1:${targetPort}`, `${server.login.user}@127.0.0.1`], { stdio: "ignore" });
    try {
      // The client listens once it has logged in; every connection to it asks sshd for a forward.
      let answer = "";
      for (let attempt = 0; attempt < 50 && !answer.includes("secret"); attempt++) {
        answer = await new Promise<string>((done) => {
          let text = "";
          const socket = connect({ host: "127.0.0.1", port: localPort }, () => socket.write("hello\n"));
          socket.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
          socket.on("close", () => done(text)).on("error", () => done(text));
          setTimeout(() => socket.destroy(), 500);
        });
        if (/refused local port forward|port forwarding is disabled/i.test(server.sshd.log())) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(answer).not.toContain("secret");
      expect(reached).toBe(0);
      expect(server.sshd.log()).toMatch(/refused local port forward|port forwarding is disabled|forwarding disabled/i);
    } finally {
      tunnel.kill();
      target.close();
    }
  });

  it("refuses a limited key any other app, and commands that name none", async () => {
    const other = await ssh(server.limited, "hop3", "status", "other");
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain("error[SSH_KEY_APP_DENIED]");
    const apps = await ssh(server.limited, "hop3", "apps");
    expect(apps.stderr).toContain("error[SSH_KEY_APP_DENIED]");
    const keys = await ssh(server.admin, "hop3", "keys", "list");
    expect(keys.stderr).toContain("error[SSH_COMMAND_REFUSED]");
    expect(auditLog()).toContainEqual(expect.objectContaining({ key: "ci-web", line: "hop3 status other", outcome: "refused", code: "SSH_KEY_APP_DENIED" }));
  });

  it("deploys a git push (the first creates the app), streaming the deploy to the pusher", async () => {
    const repo = join(root, "work");
    cpSync(join(fixtures, "nix-web"), repo, { recursive: true });
    expect((await git(repo, "init", "-q", "-b", "main")).code).toBe(0);
    await git(repo, "add", ".");
    await git(repo, "commit", "-q", "-m", "first");
    await git(repo, "remote", "add", "hop3", remoteOf("pushed"));
    const pushed = await git(repo, "push", "hop3", "main");
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stderr).toMatch(/remote: .*build with nix/);
    expect(pushed.stderr).toContain("remote: pushed is live");
    const page = await httpGet(port, "pushed.localhost");
    expect(page.body).toContain("hello from nix-web");
    expect(statSync(appRepository(home, "pushed")).mode & 0o777).toBe(0o700);
    // The commit was unpacked by the app's user, never as root.
    const appUser = findAppUser({ home, env }, "pushed");
    expect(statSync(join(home, "apps", "pushed", "source", "hop3.nix")).uid).toBe(appUser?.uid);
  });

  it("fails a push whose deploy fails, and the release that served still serves", async () => {
    const repo = join(root, "work");
    const good = (await git(repo, "rev-parse", "HEAD")).stdout.trim();
    writeFileSync(join(repo, "hop3.nix"), '{ package = derivation { name = "broken"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo this build fails >&2; exit 1" ]; }; }\n');
    await git(repo, "commit", "-q", "-am", "broken");
    const pushed = await git(repo, "push", "hop3", "main");
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toMatch(/remote: .*this build fails/);
    expect(pushed.stderr).toContain("error[GIT_PUSH_DEPLOY_FAILED]");
    expect(pushed.stderr).toMatch(/pre-receive hook declined/);
    expect((await httpGet(port, "pushed.localhost")).body).toContain("hello from nix-web");
    // The server's branch is still the commit that serves.
    const serverHead = await server.runProgram("git", ["--git-dir", appRepository(home, "pushed"), "rev-parse", "main"]);
    expect(serverHead.stdout.trim()).toBe(good);
  });

  it("deploys with hop3 deploy --remote through a limited key: the upload, the server's steps and its exit code", async () => {
    // The developer's side as `npx @hop3/cli` runs it: a remote, ssh reading the developer's own config.
    const config = join(server.developer, "ssh_config");
    writeFileSync(config, ["Host *", `  IdentityFile ${server.limited.privateKey}`, "  IdentitiesOnly yes", `  UserKnownHostsFile ${join(server.developer, "known_hosts")}`, "  GlobalKnownHostsFile /dev/null", ""].join("\n"));
    const client = (...args: string[]) =>
      server.runProgram(hop3FromSource()[0]!, [...hop3FromSource().slice(1), ...args], {
        env: { XDG_CONFIG_HOME: join(server.developer, "config"), HOP3_SSH_CONFIG: config, HOP3_HOME: join(server.developer, "not-a-server"), SSH_CONNECTION: "", NO_COLOR: "1" },
      });
    expect((await client("remote", "add", "ci", `ssh://${server.login.user}@127.0.0.1:${server.sshd.port}`)).code).toBe(0);
    const app = join(root, "uploaded");
    cpSync(join(fixtures, "nix-web"), app, { recursive: true });
    writeFileSync(join(app, "server.py"), readFileSync(join(app, "server.py"), "utf8").replace("f\"hello from {args.name}\"", "\"hello from an upload\""));
    const deployed = await client("deploy", app, "--app", "pushed", "--remote", "ci");
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stderr).toMatch(/upload to ci/);
    expect((await httpGet(port, "pushed.localhost")).body).toContain("hello from an upload");
    expect(auditLog()).toContainEqual(expect.objectContaining({ key: "ci-web", outcome: "run", argv: expect.arrayContaining(["deploy", "--receive", "pushed"]) }));
    // The same key, any other app: refused on the server, nothing uploaded there.
    const other = await client("deploy", app, "--app", "other", "--remote", "ci");
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain("SSH_KEY_APP_DENIED");
    expect(existsSync(join(home, "apps", "other"))).toBe(false);
  });

  it("refuses a limited key's push to another app, before any repository is made", async () => {
    const repo = join(root, "work");
    const other = await server.runProgram("git", ["push", remoteOf("other"), "main"], {
      cwd: repo,
      env: { GIT_SSH_COMMAND: ["ssh", ...sshOptions(server.limited)].join(" ") },
    });
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain("error[SSH_KEY_APP_DENIED]");
    expect(existsSync(appRepository(home, "other"))).toBe(false);
  });

  it("cuts off a push past the upload size limit (HOP3_UPLOAD_MAX_SIZE, here 1M), before any deploy", async () => {
    const repo = join(root, "big");
    cpSync(join(fixtures, "nix-web"), repo, { recursive: true });
    writeFileSync(join(repo, "noise.bin"), randomBytes(2 * 1024 * 1024));
    await git(repo, "init", "-q", "-b", "main");
    await git(repo, "add", ".");
    await git(repo, "commit", "-q", "-m", "big");
    const pushed = await git(repo, "push", remoteOf("big"), "main");
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toMatch(/pack exceeds maximum allowed size|unpack-objects abnormal exit|unpacker error/);
    expect(pushed.stderr).not.toContain("Deploying");
    expect(existsSync(join(home, "apps", "big"))).toBe(false);
  });

  it("removes a key: it no longer logs in", async () => {
    expect((await run("keys", "remove", "ci-web")).code).toBe(0);
    const refused = await ssh(server.limited, "hop3", "version");
    expect(refused.code).toBe(255);
    expect(readFileSync(server.login.keysFile, "utf8")).not.toContain("ci-web");
  });
});
