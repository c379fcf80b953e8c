import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, connect, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAppUser, lookupUser, sshLoginOf, type SshLogin } from "@hop3/core";
import { describeInstall, gatherFacts, machineProbes, planSetup, runSetup } from "@hop3/server-setup";
import { auditLogFile, appRepository } from "@hop3/ssh-access";
import { makeKey, startSshd, type TestKey, type TestSshd } from "@hop3/test-support/sshd";
import { freePort, hop3, httpGet } from "./run-hop3.js";

// Deploy keys against a real sshd: setup's login user and sudoers rule, keys added with `hop3 keys`,
// each key's forced command (`sudo -n <HOP3_HOME>/bin/hop3 ssh-command --key NAME`), and git push
// deploys through the real nix-build and nginx. The "developer machine" is a directory with its own
// known_hosts and keys; ssh is the system client with no config but the test's.
const fixtures = resolve(import.meta.dirname, "../../../test-fixtures/apps");
const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "hop3-keys-"));
chmodSync(root, 0o711); // the login user passes to its home under HOP3_HOME
const home = join(root, "home");
const developer = join(root, "developer");
let env: Record<string, string> = {};
let port = 0;
let sshd: TestSshd;
let login: SshLogin;
let admin: TestKey;
let limited: TestKey;
let keepAlive: ChildProcess | undefined;
const run = (...args: string[]) => hop3(args, env);

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

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
  `UserKnownHostsFile=${join(developer, "known_hosts")}`,
  "-p",
  String(sshd.port),
];

function runProgram(file: string, args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Ran> {
  return new Promise((done) => {
    execFile(file, [...args], { cwd: options.cwd, env: { ...process.env, HOME: developer, ...options.env }, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const ssh = (key: TestKey, ...command: string[]) => runProgram("ssh", [...sshOptions(key), `${login.user}@127.0.0.1`, ...command]);
const git = (cwd: string, ...args: string[]) =>
  runProgram("git", ["-c", "user.name=Dev", "-c", "user.email=dev@example.com", ...args], { cwd, env: { GIT_SSH_COMMAND: ["ssh", ...sshOptions(admin)].join(" ") } });
const auditLog = () => readFileSync(auditLogFile(home), "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
const remoteOf = (app: string) => `ssh://${login.user}@127.0.0.1:${sshd.port}/${app}`;

beforeAll(async () => {
  port = await freePort();
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port), NIX_CONFIG: "substituters =\n", HOP3_UPLOAD_MAX_SIZE: "1M" };
  login = sshLoginOf({ home, env });
  // What `hop3 setup` does for deploy keys, with this checkout's hop3 as the install.
  const described = describeInstall([process.execPath, "--import", import.meta.resolve("tsx"), "--conditions=@hop3/source", bin], env);
  // sudo starts the entry with a clean environment: the entry carries what this server's hop3 needs.
  const install = { ...described, settings: { ...described.settings, NIX_CONFIG: env.NIX_CONFIG! } };
  const facts = await gatherFacts(machineProbes(process.env), { packages: [], programs: [], deployUser: "root", install });
  const plan = planSetup([], facts, { without: [], with: [] }, install);
  const steps = plan.steps.filter((step) => step.component === "ssh-login");
  const report = await runSetup({ ...plan, steps, checks: [] }, { run: (await import("@hop3/core")).runCommand, hasProgram: () => true, env: process.env, signal: new AbortController().signal, step: (_name, action) => action({ info() {}, warn() {}, debug() {}, output() {} }) });
  expect(report.status, JSON.stringify(report.steps)).toBe("changed");
  // The global sweep of another test run removes idle test users of temporary homes: this one runs something until the end.
  const user = lookupUser(login.user)!;
  keepAlive = spawn("sleep", ["3600"], { uid: user.uid, gid: user.gid, stdio: "ignore" });

  sshd = await startSshd({ dir: join(root, "sshd"), extraConfig: [`Match User ${login.user}`, `  AuthorizedKeysFile ${login.keysFile}`] });
  admin = makeKey(developer, "admin");
  limited = makeKey(developer, "limited");
  writeFileSync(join(developer, "known_hosts"), `${sshd.knownHostsLine}\n`);
  expect((await run("keys", "add", "admin", admin.publicKey)).code).toBe(0);
  const added = await run("keys", "add", "ci-web", limited.publicLine, "--apps", "pushed");
  expect(added.code, added.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  sshd?.stop();
  await run("server", "stop");
  rmSync(login.sudoersFile, { force: true });
  keepAlive?.kill();
});

describe.sequential("deploy keys, through a real sshd", () => {
  it("setup made the login user: a shell, password field *, its home and ~/.ssh 0700, and a sudoers rule visudo accepts", async () => {
    const user = lookupUser(login.user);
    expect(user?.home).toBe(login.home);
    expect(readFileSync("/etc/shadow", "utf8")).toMatch(new RegExp(`^${login.user}:\\*:`, "m"));
    expect(statSync(login.home).mode & 0o777).toBe(0o700);
    expect(statSync(join(login.home, ".ssh")).mode & 0o777).toBe(0o700);
    expect(statSync(login.keysFile).mode & 0o777).toBe(0o600);
    expect(statSync(login.keysFile).uid).toBe(user?.uid);
    expect(readFileSync(login.sudoersFile, "utf8")).toContain(`${login.user} ALL=(root) NOPASSWD: ${login.entry} ssh-command *`);
    expect((await runProgram("visudo", ["-c", "-q", "-f", login.sudoersFile])).code).toBe(0);
  });

  it("writes each key with its forced command and restrict, and lists them", async () => {
    const text = readFileSync(login.keysFile, "utf8");
    expect(text).toContain(`command="sudo -n ${login.entry} ssh-command --key admin",restrict ssh-ed25519 `);
    expect(text).toContain(`command="sudo -n ${login.entry} ssh-command --key ci-web --apps pushed",restrict ssh-ed25519 `);
    const listed = (await run("keys", "list", "--json")).json<{ keys: Array<{ name: string; fingerprint: string; apps: string[] | null }> }>().keys;
    expect((await runProgram("ssh-keygen", ["-l", "-f", admin.publicKey])).stdout).toContain(` ${listed[0]!.fingerprint} `);
    expect(listed.map((k) => [k.name, k.apps])).toEqual([
      ["admin", null],
      ["ci-web", ["pushed"]],
    ]);
  });

  it("runs hop3 commands through a key, as root, with the server's HOP3_HOME, and logs them with the key's name", async () => {
    const version = await ssh(admin, "hop3", "version", "--json");
    expect(version.code, version.stderr + sshd.log()).toBe(0);
    expect(JSON.parse(version.stdout)).toMatchObject({ name: "hop3" });
    const apps = await ssh(admin, "hop3", "apps", "--json");
    expect(apps.code, apps.stderr).toBe(0);
    expect(auditLog()).toContainEqual(expect.objectContaining({ key: "admin", argv: ["hop3", "apps", "--json"], outcome: "run" }));
    expect(statSync(auditLogFile(home)).mode & 0o777).toBe(0o600);
  });

  it("gives no shell: sh -c id, a command with ;, and a login without a command are refused", async () => {
    const shell = await ssh(admin, "sh", "-c", "id");
    expect(shell.code).not.toBe(0);
    expect(shell.stderr).toContain("error[SSH_COMMAND_REFUSED]");
    expect(shell.stdout).not.toMatch(/uid=/);
    const chained = await ssh(admin, "hop3 version; id");
    expect(chained.code).not.toBe(0);
    expect(chained.stdout).not.toMatch(/uid=/);
    const interactive = await ssh(admin);
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
    const tunnel = spawn("ssh", [...sshOptions(admin), "-N", "-L", `${localPort}:127.0.0.1:${targetPort}`, `${login.user}@127.0.0.1`], { stdio: "ignore" });
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
        if (/refused local port forward|port forwarding is disabled/i.test(sshd.log())) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(answer).not.toContain("secret");
      expect(reached).toBe(0);
      expect(sshd.log()).toMatch(/refused local port forward|port forwarding is disabled|forwarding disabled/i);
    } finally {
      tunnel.kill();
      target.close();
    }
  });

  it("refuses a limited key any other app, and commands that name none", async () => {
    const other = await ssh(limited, "hop3", "status", "other");
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain("error[SSH_KEY_APP_DENIED]");
    const apps = await ssh(limited, "hop3", "apps");
    expect(apps.stderr).toContain("error[SSH_KEY_APP_DENIED]");
    const keys = await ssh(admin, "hop3", "keys", "list");
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
    const serverHead = await runProgram("git", ["--git-dir", appRepository(home, "pushed"), "rev-parse", "main"]);
    expect(serverHead.stdout.trim()).toBe(good);
  });

  it("deploys with hop3 deploy --remote through a limited key: the upload, the server's steps and its exit code", async () => {
    // The developer's side as `npx @hop3/cli` runs it: a remote, ssh reading the developer's own config.
    const config = join(developer, "ssh_config");
    writeFileSync(config, ["Host *", `  IdentityFile ${limited.privateKey}`, "  IdentitiesOnly yes", `  UserKnownHostsFile ${join(developer, "known_hosts")}`, "  GlobalKnownHostsFile /dev/null", ""].join("\n"));
    const client = (...args: string[]) =>
      runProgram(process.execPath, ["--import", import.meta.resolve("tsx"), "--conditions=@hop3/source", bin, ...args], {
        env: { XDG_CONFIG_HOME: join(developer, "config"), HOP3_SSH_CONFIG: config, HOP3_HOME: join(developer, "not-a-server"), SSH_CONNECTION: "", NO_COLOR: "1" },
      });
    expect((await client("remote", "add", "ci", `ssh://${login.user}@127.0.0.1:${sshd.port}`)).code).toBe(0);
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
    const other = await runProgram("git", ["push", remoteOf("other"), "main"], {
      cwd: repo,
      env: { GIT_SSH_COMMAND: ["ssh", ...sshOptions(limited)].join(" ") },
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
    const refused = await ssh(limited, "hop3", "version");
    expect(refused.code).toBe(255);
    expect(readFileSync(login.keysFile, "utf8")).not.toContain("ci-web");
  });
});
