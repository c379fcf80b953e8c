import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockApp } from "@hop3/core";
import { connectEarly, openSession, parseRemoteUrl, sshSettings } from "@hop3/remote";
import { makeKey, startSshd, type TestSshd } from "@hop3/test-support/sshd";
import { freePort, hop3, httpGet, type Hop3Run } from "./run-hop3.js";

// Deploying from a developer's machine: a real sshd on loopback, logging in as root with a key made
// for this run, and the remote's `command` a wrapper that runs this checkout's hop3. The server side
// has its own HOP3_HOME (given by sshd's SetEnv); the developer's machine is a directory with its own
// config, key and known_hosts, read by the system ssh through HOP3_SSH_CONFIG (-F).
const fixture = resolve(import.meta.dirname, "../../../test-fixtures/apps/nix-release");
const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url));
const tsx = import.meta.resolve("tsx");
const root = mkdtempSync(join(tmpdir(), "hop3-remote-"));
chmodSync(root, 0o711); // app users pass through to the server's HOP3_HOME
const serverHome = join(root, "server-home");
const dev = join(root, "dev");
let sshd: TestSshd;
let port = 0;
let serverEnv: Record<string, string> = {};
let devEnv: Record<string, string> = {};

/** A script on the server that runs this checkout's hop3 (what `npm i -g @hop3/cli` would put on PATH). */
function wrapper(name: string, body: string): string {
  const path = join(root, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}
// sshd honours the first SetEnv line only, and reads backslashes in it: HOP3_HOME comes from sshd,
// the rest of the server's settings from the wrapper.
const serverSettings = () => `export HOP3_HTTP_PORT=${port} NIX_CONFIG='substituters ='`;
const hop3Line = () => `${serverSettings()}\nexec ${process.execPath} --import ${tsx} --conditions=@hop3/source ${bin} "$@"`;

/** hop3 on the developer's machine. */
const client = (...args: string[]) => hop3(args, devEnv, root);
/** hop3 on the developer's machine, with `input` on its stdin. */
function clientWithInput(args: readonly string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ["--import", tsx, "--conditions=@hop3/source", bin, ...args], { env: { ...process.env, ...devEnv, NO_COLOR: "1" }, cwd: root });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("close", (code) => resolveRun({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}
/** hop3 on the server itself, for comparing outputs. */
const local = (...args: string[]) => hop3(args, serverEnv);

function appCopy(name: string, release: string): string {
  const dir = join(mkdtempSync(join(root, "app-")), name);
  cpSync(fixture, dir, { recursive: true });
  writeFileSync(join(dir, "release.txt"), `${release}\n`);
  return dir;
}

const errorOf = (run: Hop3Run) => run.json<{ error: { code: string; message: string; hint: string } }>().error;
const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const sourceOf = (app: string) => join(serverHome, "apps", app, "source");

beforeAll(async () => {
  port = await freePort();
  serverEnv = { HOP3_HOME: serverHome, HOP3_HTTP_PORT: String(port), NIX_CONFIG: "substituters =\n" };
  sshd = await startSshd({ dir: join(root, "sshd"), setEnv: { HOP3_HOME: serverHome } });
  const key = makeKey(dev, "id_client");
  writeFileSync(sshd.authorizedKeysOf("root"), `${key.publicLine}\n`);
  writeFileSync(join(dev, "known_hosts"), `${sshd.knownHostsLine}\n`);
  writeFileSync(join(dev, "ssh_config"), ["Host *", `  IdentityFile ${key.privateKey}`, "  IdentitiesOnly yes", `  UserKnownHostsFile ${join(dev, "known_hosts")}`, "  GlobalKnownHostsFile /dev/null", ""].join("\n"));
  // A TMPDIR of its own: the client's control sockets go there, and must not stay.
  mkdirSync(join(dev, "tmp"));
  devEnv = { HOME: join(dev, "home"), XDG_CONFIG_HOME: join(dev, "config"), HOP3_SSH_CONFIG: join(dev, "ssh_config"), HOP3_HOME: join(dev, "not-a-server"), SSH_CONNECTION: "", TMPDIR: join(dev, "tmp") };
  const added = await client("remote", "add", "prod", `ssh://root@127.0.0.1:${sshd.port}`, "--command", wrapper("hop3-server", hop3Line()), "--json");
  expect(added.code, added.stderr).toBe(0);
});

afterAll(async () => {
  await local("server", "stop");
  sshd?.stop();
});

describe.sequential("hop3 --remote against a real sshd", () => {
  it("deploys an app from the developer's machine: upload, then the server's live steps, exit code and one JSON object", async () => {
    const run = await client("deploy", appCopy("remote-app", "v1"), "--remote", "prod", "--json");
    expect(run.code, run.stderr).toBe(0);
    const outcome = run.json<{ app: string; release: string; url: string; status: string }>();
    expect(outcome).toMatchObject({ app: "remote-app", status: "running" });
    expect(run.stderr).toMatch(/upload to prod: done/);
    expect(run.stderr).toMatch(/receive: done/);
    expect(run.stderr).toMatch(/build with nix: done/);
    expect((await httpGet(port, "remote-app.localhost")).body).toBe("release v1\n");
    expect(readFileSync(join(sourceOf("remote-app"), "release.txt"), "utf8")).toBe("v1\n");
    // Nothing of the upload is left beside the source; the source is the app user's.
    expect(readdirSync(join(serverHome, "apps", "remote-app")).filter((name) => name.startsWith("source."))).toEqual([]);
    // Nothing was deployed on the developer's machine.
    expect(existsSync(join(devEnv.HOP3_HOME!, "apps"))).toBe(false);
  });

  it("connects as its first step, once per command, and leaves no connection behind, used or not", async () => {
    const connections = () => sshd.log().split("\n").filter((line) => line.startsWith("Connection from 127.0.0.1")).length;
    const before = connections();
    const apps = await client("apps", "--remote", "prod", "--json");
    expect(apps.code, apps.stderr).toBe(0);
    expect(connections()).toBe(before + 1);
    await waitFor(() => mastersOn(sshd.port).length === 0 && sshDirsLeft().length === 0, 3_000);

    // The connection starts before the command line is parsed: a command refused here still made
    // one, and closed it when it exited (a master left alone would live on for 10 s).
    const refused = await client("apps", "--remote", "prod", "--no-such-option");
    expect(refused.code).toBe(2);
    await waitFor(() => connections() === before + 2, 3_000);
    await waitFor(() => mastersOn(sshd.port).length === 0 && sshDirsLeft().length === 0, 3_000);
  });

  it("connects again when the connection started early ended before the command used it", async () => {
    connectEarly(["apps", "--remote", "prod"], devEnv);
    // Up: its control socket is there (given after -S on its command line).
    const socketOf = (pid: string) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").find((_word, i, words) => words[i - 1] === "-S");
    await waitFor(() => mastersOn(sshd.port).some((pid) => existsSync(socketOf(pid) ?? "")), 10_000);
    // What ControlPersist does to a master left without a session for 10 s.
    for (const pid of mastersOn(sshd.port)) process.kill(Number(pid), "SIGTERM");
    await waitFor(() => mastersOn(sshd.port).length === 0, 3_000);
    const session = await openSession(parseRemoteUrl(`ssh://root@127.0.0.1:${sshd.port}`), sshSettings(devEnv));
    try {
      expect((await session.exec("true", { stdout: () => undefined, stderr: () => undefined })).code).toBe(0);
    } finally {
      session.close();
    }
    await waitFor(() => mastersOn(sshd.port).length === 0, 3_000);
  });

  it("runs a one-off command on the server: its stdin, stdout and exit code come through", async () => {
    const run = await clientWithInput(["run", "remote-app", "--remote", "prod", "--", "sh", "-c", 'tr a-z A-Z; echo "as $(id -u)"; exit 5'], "sent from here\n");
    expect(run.code, run.stderr).toBe(5);
    const [upper, as] = run.stdout.trim().split("\n");
    expect(upper).toBe("SENT FROM HERE");
    expect(as).toMatch(/^as [1-9][0-9]*$/); // the app's user, not root
  });

  it("gives the same status, releases and logs as a run on the server, and rolls back through the remote", async () => {
    const second = await client("deploy", appCopy("remote-app", "v2"), "--remote", "prod");
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/remote-app is live: /);
    expect((await httpGet(port, "remote-app.localhost")).body).toBe("release v2\n");

    for (const args of [["status", "remote-app", "--json"], ["releases", "remote-app", "--json"], ["apps", "--json"], ["logs", "remote-app", "--json"]]) {
      const [remote, here] = await Promise.all([client(...args, "--remote", "prod"), local(...args)]);
      expect(remote.code, remote.stderr).toBe(0);
      expect(remote.stdout, args.join(" ")).toBe(here.stdout);
    }

    const rolled = await client("rollback", "remote-app", "--remote", "prod", "--json");
    expect(rolled.code, rolled.stderr).toBe(0);
    expect((await httpGet(port, "remote-app.localhost")).body).toBe("release v1\n");
    // HOP3_REMOTE names the remote as --remote does; a failing command's exit code and error come through.
    const missing = await hop3(["status", "no-such-app", "--json"], { ...devEnv, HOP3_REMOTE: "prod" }, root);
    expect(missing.code).toBe(1);
    expect(errorOf(missing).code).toBe("APP_NOT_FOUND");
  });

  it("uploads what .gitignore and .hop3ignore leave, or with --head the last commit only", async () => {
    const dir = appCopy("ignored-app", "v1");
    writeFileSync(join(dir, ".gitignore"), "*.log\nbuild/\n");
    writeFileSync(join(dir, ".hop3ignore"), "secrets.txt\n");
    writeFileSync(join(dir, "debug.log"), "noise\n");
    writeFileSync(join(dir, "secrets.txt"), "hunter2\n");
    mkdirSync(join(dir, "build"));
    writeFileSync(join(dir, "build", "out.bin"), "x");
    const run = await client("deploy", dir, "--remote", "prod");
    expect(run.code, run.stderr).toBe(0);
    expect(readdirSync(sourceOf("ignored-app")).sort()).toEqual([".gitignore", ".hop3ignore", "expect.json", "hop3.nix", "release.txt", "server.py"]);

    const git = (...args: string[]) => expect(spawnSync("git", ["-C", dir, ...args], { encoding: "utf8" }).status).toBe(0);
    git("init", "-q");
    git("add", ".");
    git("-c", "user.email=dev@example.com", "-c", "user.name=dev", "commit", "-qm", "v1");
    writeFileSync(join(dir, "release.txt"), "uncommitted\n");
    const head = await client("deploy", dir, "--remote", "prod", "--head");
    expect(head.code, head.stderr).toBe(0);
    expect((await httpGet(port, "ignored-app.localhost")).body).toBe("release v1\n");
    expect(readFileSync(join(sourceOf("ignored-app"), "release.txt"), "utf8")).toBe("v1\n");
  });

  it("deploys a 50 MB app", async () => {
    const dir = appCopy("big-app", "big");
    writeFileSync(join(dir, "data.bin"), randomBytes(50 * 1024 ** 2));
    const run = await client("deploy", dir, "--remote", "prod", "--json");
    expect(run.code, run.stderr).toBe(0);
    expect(sha256(join(sourceOf("big-app"), "data.bin"))).toBe(sha256(join(dir, "data.bin")));
    expect((await httpGet(port, "big-app.localhost")).body).toBe("release big\n");
  });

  it("refuses an upload past the server's size limit, and changes nothing", async () => {
    const small = wrapper("hop3-small", `export HOP3_UPLOAD_MAX_SIZE=1M\n${hop3Line()}`);
    expect((await client("remote", "add", "small", `ssh://root@127.0.0.1:${sshd.port}`, "--command", small)).code).toBe(0);
    const dir = appCopy("remote-app", "too-big");
    writeFileSync(join(dir, "data.bin"), randomBytes(3 * 1024 ** 2));
    const run = await client("deploy", dir, "--remote", "small", "--json");
    expect(run.code).toBe(1);
    expect(errorOf(run).code).toBe("UPLOAD_TOO_LARGE");
    expect(run.stderr).toContain("error[UPLOAD_TOO_LARGE]");
    expect(readFileSync(join(sourceOf("remote-app"), "release.txt"), "utf8")).toBe("v2\n");
    expect((await httpGet(port, "remote-app.localhost")).body).toBe("release v1\n");
  });

  it("refuses an archive whose paths leave the app's directory, written by hand", async () => {
    for (const [name, entry] of [
      ["dot-dot", tarEntry("../escaped.txt", "0", "pwned\n")],
      ["absolute", tarEntry(`${root}/absolute.txt`, "0", "pwned\n")],
      ["link-out", tarEntry("link", "2", "", "../../../../etc")],
      ["device", tarEntry("dev", "3", "")],
    ] as const) {
      const archive = Buffer.concat([tarEntry("hop3.nix", "0", readFileSync(join(fixture, "hop3.nix"), "utf8")), entry, Buffer.alloc(1024)]);
      const run = viaSsh(["deploy", "--receive", "remote-app", "--json"], archive);
      expect(run.status, `${name}: ${run.stderr}`).toBe(1);
      expect(JSON.parse(run.stdout).error.code, name).toBe("UPLOAD_PATH_UNSAFE");
    }
    expect(existsSync(join(serverHome, "apps", "escaped.txt"))).toBe(false);
    expect(existsSync(join(root, "absolute.txt"))).toBe(false);
    expect(readdirSync(join(serverHome, "apps", "remote-app")).filter((name) => name.startsWith("source."))).toEqual([]);
    expect(readFileSync(join(sourceOf("remote-app"), "release.txt"), "utf8")).toBe("v2\n");
    // A cut archive (no end-of-archive blocks) is refused too.
    const cut = viaSsh(["deploy", "--receive", "remote-app", "--json"], tarEntry("release.txt", "0", "cut\n"));
    expect(JSON.parse(cut.stdout).error.code).toBe("UPLOAD_INCOMPLETE");
    expect((await httpGet(port, "remote-app.localhost")).body).toBe("release v1\n");
  });

  it("refuses a deploy while another one of the same app runs (APP_BUSY), before anything is unpacked", async () => {
    // What a deploy from another machine looks like on the server: a live hop3 holding the app's lock.
    const unlock = lockApp(serverHome, "remote-app", "deploy");
    try {
      const run = await client("deploy", appCopy("remote-app", "busy"), "--remote", "prod", "--json");
      expect(run.code).toBe(1);
      expect(errorOf(run).code).toBe("APP_BUSY");
    } finally {
      unlock();
    }
    expect(readFileSync(join(sourceOf("remote-app"), "release.txt"), "utf8")).toBe("v2\n");
    expect(readdirSync(join(serverHome, "apps", "remote-app")).filter((name) => name.startsWith("source."))).toEqual([]);
  });

  it("refuses a server whose remote protocol differs, naming both versions", async () => {
    // A newer hop3 answers the client's protocol word with its handshake, and runs nothing.
    const newer = wrapper("hop3-newer", `case "$1" in --protocol=*) echo 'hop3-handshake {"name":"hop3","version":"9.0.0","protocol":3}' >&2; exit 1;; esac\n${hop3Line()}`);
    expect((await client("remote", "add", "newer", `ssh://root@127.0.0.1:${sshd.port}`, "--command", newer)).code).toBe(0);
    const run = await client("status", "remote-app", "--remote", "newer", "--json");
    expect(run.code).toBe(1);
    const error = errorOf(run);
    expect(error.code).toBe("REMOTE_VERSION_MISMATCH");
    expect(error.message).toContain("hop3 9.0.0 (remote protocol 3)");
    expect(error.message).toContain("hop3 0.1.0 (remote protocol 2)");
    expect(error.message).toContain("upgrade Hop3 on this machine");

    // A hop3 from before the handshake refuses the word as an unknown command: its refusal is not shown, its version is asked.
    const older = wrapper("hop3-older", `case "$1" in --protocol=*) echo '{"error":{"code":"USAGE"}}'; echo 'error: unknown command' >&2; exit 2;; esac\nif [ "$1 $2" = "version --json" ]; then echo '{"name":"hop3","version":"0.0.9","protocol":1}'; exit 0; fi\nexit 99`);
    expect((await client("remote", "add", "older", `ssh://root@127.0.0.1:${sshd.port}`, "--command", older)).code).toBe(0);
    const deploy = await client("deploy", appCopy("remote-app", "never"), "--remote", "older", "--json");
    expect(deploy.code).toBe(1);
    expect(errorOf(deploy)).toMatchObject({ code: "REMOTE_VERSION_MISMATCH", message: expect.stringContaining("hop3 0.0.9 (remote protocol 1)") });
    expect(errorOf(deploy).message).toContain("upgrade Hop3 on the server");
    expect(deploy.stderr).not.toContain("unknown command");
  });

  it("says what is wrong with the connection: no hop3 there, unknown or changed host key, refused key, unreachable host", async () => {
    expect((await client("remote", "add", "nohop3", `ssh://root@127.0.0.1:${sshd.port}`, "--command", "/nonexistent/hop3")).code).toBe(0);
    expect(errorOf(await client("apps", "--remote", "nohop3", "--json")).code).toBe("REMOTE_HOP3_MISSING");

    const stranger = makeKey(join(root, "other"), "ssh_host_ed25519_key");
    const [type, key] = stranger.publicLine.split(" ");
    const withKnownHosts = async (line: string) => {
      writeFileSync(join(dev, "known_hosts"), line);
      try {
        return await client("apps", "--remote", "prod", "--json");
      } finally {
        writeFileSync(join(dev, "known_hosts"), `${sshd.knownHostsLine}\n`);
      }
    };
    expect(errorOf(await withKnownHosts(`[127.0.0.1]:${sshd.port} ${type} ${key}\n`)).code).toBe("REMOTE_HOST_KEY_CHANGED");
    expect(errorOf(await withKnownHosts("")).code).toBe("REMOTE_HOST_UNKNOWN");

    const refusedKey = makeKey(join(root, "refused"), "id_refused");
    const refusedConfig = join(dev, "ssh_config_refused");
    writeFileSync(refusedConfig, readFileSync(join(dev, "ssh_config"), "utf8").replace(/IdentityFile .*/, `IdentityFile ${refusedKey.privateKey}`));
    const refused = await hop3(["apps", "--remote", "prod", "--json"], { ...devEnv, HOP3_SSH_CONFIG: refusedConfig }, root);
    expect(errorOf(refused).code).toBe("REMOTE_KEY_REFUSED");

    const closed = await freePort();
    expect((await client("remote", "add", "gone", `ssh://root@127.0.0.1:${closed}`)).code).toBe(0);
    const unreachable = await client("apps", "--remote", "gone", "--json");
    expect(errorOf(unreachable).code).toBe("REMOTE_UNREACHABLE");
    expect(errorOf(unreachable).message).toContain(`127.0.0.1:${closed}`);
  });
});

describe.sequential("a connection cut by killing the ssh client", () => {
  it("during the upload: the client says so, and nothing changes on the server", async () => {
    const before = sha256(join(sourceOf("big-app"), "data.bin"));
    const dir = appCopy("big-app", "cut");
    writeFileSync(join(dir, "data.bin"), randomBytes(50 * 1024 ** 2));
    const deploy = spawnClient(["deploy", dir, "--remote", "prod", "--json"]);
    await deploy.until((stderr) => /MB sent/.test(stderr), 60_000);
    deploy.killSsh();
    const { code, stdout } = await deploy.exited;
    expect(code).toBe(1);
    expect(JSON.parse(stdout).error.code).toBe("REMOTE_UPLOAD_INTERRUPTED");
    // The server's hop3 saw the archive end early, removed what it had unpacked, and changed nothing.
    await waitFor(() => readdirSync(join(serverHome, "apps", "big-app")).every((name) => !name.startsWith("source.")), 60_000);
    expect(sha256(join(sourceOf("big-app"), "data.bin"))).toBe(before);
    expect((await httpGet(port, "big-app.localhost")).body).toBe("release big\n");
  });

  it("during the deploy: the client says it lost the connection, the server finishes, and status tells", async () => {
    const deploy = spawnClient(["deploy", appCopy("remote-app", "v3"), "--remote", "prod", "--json"]);
    await deploy.until((stderr) => /build with nix: started/.test(stderr), 120_000);
    deploy.killSsh();
    const { code, stdout } = await deploy.exited;
    expect(code).toBe(1);
    const error = JSON.parse(stdout).error;
    expect(error.code).toBe("REMOTE_CONNECTION_LOST");
    expect(error.hint).toContain("hop3 status remote-app --remote prod");
    const settled = async () => (await local("releases", "remote-app", "--json")).json<Array<{ id: string; status: string }>>();
    await waitFor(async () => (await settled()).every((release) => release.status !== "deploying"), 120_000);
    const newest = (await settled()).sort((a, b) => b.id.localeCompare(a.id))[0]!;
    expect(newest.status).toBe("live");
    expect((await httpGet(port, "remote-app.localhost")).body).toBe("release v3\n");
    const status = await client("status", "remote-app", "--remote", "prod", "--json");
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(newest.id);
  });
});

/** The ssh masters (`-M`) connected to this port. */
function mastersOn(sshPort: number): string[] {
  return readdirSync("/proc").filter((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      const words = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      return words.includes("-M") && words.includes(String(sshPort));
    } catch {
      return false;
    }
  });
}

/** The client's control socket directories still there. */
const sshDirsLeft = () => readdirSync(devEnv.TMPDIR!).filter((name) => name.startsWith("hop3-ssh-"));

async function waitFor(done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The developer's hop3, running: its stderr as it comes, and the ssh client of its command to kill. */
function spawnClient(args: readonly string[]) {
  const child = spawn(process.execPath, ["--import", tsx, "--conditions=@hop3/source", bin, ...args], { env: { ...process.env, ...devEnv, NO_COLOR: "1" }, cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const exited = new Promise<{ code: number; stdout: string; stderr: string }>((resolveExit) => child.on("close", (code) => resolveExit({ code: code ?? 1, stdout, stderr })));
  return {
    exited,
    until: (done: (stderr: string) => boolean, timeoutMs: number) => waitFor(() => done(stderr), timeoutMs).catch(() => Promise.reject(new Error(`not seen in time; stderr:\n${stderr}`))),
    /** SIGKILL to the ssh process that carries the command (not the connection's master). */
    killSsh() {
      const pid = readdirSync("/proc").find((entry) => {
        if (!/^\d+$/.test(entry)) return false;
        try {
          const parent = readFileSync(`/proc/${entry}/stat`, "utf8").replace(/^.*\) /, "").split(" ")[1];
          return Number(parent) === child.pid && readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("--receive");
        } catch {
          return false;
        }
      });
      expect(pid, "the ssh client of the command").toBeDefined();
      process.kill(Number(pid), "SIGKILL");
    },
  };
}

/** One ustar entry, by hand (type "0" file, "2" link, "3" character device), data padded to 512 bytes. */
function tarEntry(name: string, type: string, data: string, link = ""): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) => header.write(value, offset, length, "utf8");
  const body = Buffer.from(data);
  field(0, 100, name.length <= 100 ? name : name.slice(-100));
  field(100, 8, "0000644\0");
  field(108, 8, "0000000\0");
  field(116, 8, "0000000\0");
  field(124, 12, `${body.length.toString(8).padStart(11, "0")}\0`);
  field(136, 12, `${Math.floor(Date.now() / 1000).toString(8).padStart(11, "0")}\0`);
  field(156, 1, type);
  field(157, 100, link);
  field(257, 6, "ustar\0");
  field(263, 2, "00");
  header.fill(" ", 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  const padded = Buffer.alloc(Math.ceil(body.length / 512) * 512);
  body.copy(padded);
  return Buffer.concat([header, padded]);
}

/** Runs the server's hop3 over a plain `ssh`, with the bytes given on its stdin (a hand-made upload). */
function viaSsh(args: readonly string[], stdin: Buffer) {
  const command = [join(root, "hop3-server"), ...args].join(" ");
  return spawnSync("ssh", ["-F", join(dev, "ssh_config"), "-o", "BatchMode=yes", "-p", String(sshd.port), "root@127.0.0.1", command], { input: stdin, encoding: "utf8", timeout: 60_000 });
}

