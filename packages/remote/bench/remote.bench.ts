import { execFile, execFileSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { defineBench } from "@hop3/bench";
import { openSession, packSource, parseRemoteUrl, sshSettings } from "@hop3/remote";
import { makeKey, startSshd, type TestSshd } from "@hop3/test-support/sshd";

// What a remote deploy adds over a local one, and what the upload costs against a plain `tar | ssh`,
// on loopback through a real sshd (the developer's machine and the server are the same host here, so
// the transfer itself costs next to nothing: what is measured is Hop3's own part).
const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../../..");
const bin = join(root, "packages/cli/dist/bin.js");
const fixture = join(root, "test-fixtures/apps/nix-web");
const base = mkdtempSync(join(tmpdir(), "hop3-bench-remote-"));
chmodSync(base, 0o711);
const serverHome = join(base, "server-home");
const dev = join(base, "dev");
const app = join(base, "apps", "bench-web");
const big = join(base, "apps", "bench-big");
let sshd: TestSshd;
let serverEnv: NodeJS.ProcessEnv = {};
let devEnv: NodeJS.ProcessEnv = {};

const freePort = () =>
  new Promise<number>((done) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address() as { port: number };
      server.close(() => done(address.port));
    });
  });

const sshArgs = () => ["-F", join(dev, "ssh_config"), "-o", "BatchMode=yes", "-p", String(sshd.port), "root@127.0.0.1"];
const receiveDir = join(base, "tar-received");
const unpackScript = join(base, "unpack.mjs");

/** What a person would type to send an app by hand: `tar -c | ssh HOST tar -x`, its own SSH connection included. */
const sendByHand = (dir: string, into: string) =>
  run("/bin/sh", ["-c", `tar -C ${dir} -cf - . | ssh ${sshArgs().join(" ")} 'rm -rf ${receiveDir}/${into} && mkdir ${receiveDir}/${into} && tar -C ${receiveDir}/${into} -xf -'`]);

/** Hop3's own upload path, without the commands around it: its packer, its OpenSSH session, its safe unpacker on the server. */
async function hop3Upload(): Promise<void> {
  const session = await openSession(parseRemoteUrl(`ssh://root@127.0.0.1:${sshd.port}`), sshSettings(devEnv));
  try {
    const result = await session.exec(`rm -rf ${receiveDir}/h && mkdir ${receiveDir}/h && ${process.execPath} ${unpackScript} ${receiveDir}/h`, { stdin: packSource(big), stdout: () => undefined, stderr: () => undefined });
    if (result.code !== 0) throw new Error(`unpack failed: ${result.stderr}`);
  } finally {
    session.close();
  }
}

const remoteDeploy = () => run(process.execPath, [bin, "deploy", app, "--remote", "bench"], { env: devEnv });
const localDeploy = () => run(process.execPath, [bin, "deploy", app], { env: serverEnv });

export default defineBench({
  name: "remote",
  async setup() {
    execFileSync("pnpm", ["exec", "turbo", "run", "build", "--filter=@hop3/cli...", "--output-logs=errors-only"], { cwd: root, stdio: "ignore", env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" } });
    const port = await freePort();
    serverEnv = { ...process.env, HOP3_HOME: serverHome, HOP3_HTTP_PORT: String(port), NIX_CONFIG: "substituters =\n", NO_COLOR: "1" };
    sshd = await startSshd({ dir: join(base, "sshd"), setEnv: { HOP3_HOME: serverHome } });
    const key = makeKey(dev, "id_client");
    writeFileSync(sshd.authorizedKeysOf("root"), `${key.publicLine}\n`);
    writeFileSync(join(dev, "known_hosts"), `${sshd.knownHostsLine}\n`);
    writeFileSync(join(dev, "ssh_config"), ["Host *", `  IdentityFile ${key.privateKey}`, "  IdentitiesOnly yes", `  UserKnownHostsFile ${join(dev, "known_hosts")}`, "  GlobalKnownHostsFile /dev/null", ""].join("\n"));
    const server = join(base, "hop3-server");
    writeFileSync(server, `#!/bin/sh\nexport HOP3_HTTP_PORT=${port} NIX_CONFIG='substituters ='\nexec ${process.execPath} ${bin} "$@"\n`);
    chmodSync(server, 0o755);
    devEnv = { ...process.env, HOME: join(dev, "home"), XDG_CONFIG_HOME: join(dev, "config"), HOP3_SSH_CONFIG: join(dev, "ssh_config"), SSH_CONNECTION: "", NO_COLOR: "1" };
    await run(process.execPath, [bin, "remote", "add", "bench", `ssh://root@127.0.0.1:${sshd.port}`, "--command", server], { env: devEnv });
    mkdirSync(join(base, "apps"));
    cpSync(fixture, app, { recursive: true });
    cpSync(fixture, big, { recursive: true });
    writeFileSync(join(big, "data.bin"), randomBytes(50 * 1024 ** 2));
    mkdirSync(receiveDir);
    writeFileSync(unpackScript, `import { unpackUpload } from ${JSON.stringify(join(root, "packages/remote/dist/index.js"))};\nawait unpackUpload(process.stdin, process.argv[2], 1e12);\n`);
    await run(process.execPath, [bin, "deploy", app], { env: serverEnv });
    return async () => {
      await run(process.execPath, [bin, "server", "stop"], { env: serverEnv });
      sshd.stop();
      rmSync(base, { recursive: true, force: true });
    };
  },
  notes: () => [
    "the goal, under 300 ms plus the transfer, read two ways: against the local deploy alone, everything the remote deploy does more counts, its SSH connection and the sending of the app included (the strictest reading); against the local deploy plus the app sent by hand with `tar -c | ssh tar -x` (its own connection included), only what Hop3 adds to a transfer counts (the goal's own words)",
  ],
  cases: [
    {
      name: "remote deploy over a local deploy of the same app (loopback)",
      subject: { label: "hop3 deploy --remote (connect, handshake, upload, receive, deploy)", run: remoteDeploy },
      baseline: { label: "hop3 deploy on the server", run: localDeploy },
      iterations: 5,
      goal: "< 300 ms, the transfer (its SSH connection too) counted in",
    },
    {
      name: "remote deploy over a local deploy plus the same app sent by hand (loopback)",
      subject: { label: "hop3 deploy --remote", run: remoteDeploy },
      baseline: {
        label: "hop3 deploy on the server, then tar -c | ssh tar -x of the app",
        run: async () => {
          await localDeploy();
          await sendByHand(app, "w");
        },
      },
      iterations: 5,
      goal: "< 300 ms plus the transfer",
    },
    {
      name: "upload of a 50 MB app (loopback)",
      subject: { label: "hop3's packer, ssh session and safe unpack", run: hop3Upload },
      baseline: {
        label: "tar -c | ssh tar -x",
        run: () => sendByHand(big, "x"),
      },
      iterations: 5,
      goal: "within 1.2x",
    },
    {
      name: "a 50 MB app through the whole command (loopback)",
      subject: { label: "hop3 validate --remote (connect, handshake, upload, receive, validate)", run: () => run(process.execPath, [bin, "validate", big, "--remote", "bench"], { env: devEnv }) },
      baseline: {
        label: "tar -c | ssh tar -x",
        run: () => sendByHand(big, "x"),
      },
      iterations: 3,
    },
  ],
});
