import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { freePort, waitFor } from "./index.js";

/** A real OpenSSH server on loopback, made for one test file: its own host key, config and log. */
export interface TestSshd {
  readonly port: number;
  /** The `known_hosts` line of its host key (`[127.0.0.1]:PORT ssh-ed25519 ...`). */
  readonly knownHostsLine: string;
  /** The file sshd reads a user's authorized keys from: `<dir>/authorized_keys/<user>` (AuthorizedKeysFile). */
  authorizedKeysOf(user: string): string;
  /** What sshd logged (LogLevel VERBOSE), for assertions and for failure messages. */
  log(): string;
  stop(): void;
}

export interface TestSshdOptions {
  /** A directory of the test's own: keys, config, pid and log go there. */
  readonly dir: string;
  /**
   * Variables every session gets (sshd_config SetEnv), e.g. the server side's HOP3_HOME. sshd reads
   * only its first SetEnv line and no escapes: values with a quote, a backslash or a newline are
   * refused (export those from the server command's wrapper instead).
   */
  readonly setEnv?: Readonly<Record<string, string>>;
  /** Extra sshd_config lines. */
  readonly extraConfig?: readonly string[];
}

/** A key pair made for a test (ed25519, no passphrase). */
export interface TestKey {
  readonly privateKey: string;
  readonly publicKey: string;
  /** The `.pub` line: `ssh-ed25519 AAAA... comment`. */
  readonly publicLine: string;
}

const SSHD = "/usr/sbin/sshd";

export function makeKey(dir: string, name: string): TestKey {
  mkdirSync(dir, { recursive: true });
  const privateKey = join(dir, name);
  const made = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", privateKey], { encoding: "utf8" });
  if (made.status !== 0) throw new Error(`ssh-keygen failed: ${made.stderr}`);
  return { privateKey, publicKey: `${privateKey}.pub`, publicLine: readFileSync(`${privateKey}.pub`, "utf8").trim() };
}

/**
 * Starts sshd on a free loopback port, in the foreground of a child process (-D), logging to a file
 * (-E). Public keys only; StrictModes off because test directories live under /tmp (world-writable),
 * which sshd would refuse as a parent of authorized_keys files.
 */
export async function startSshd(options: TestSshdOptions): Promise<TestSshd> {
  const { dir } = options;
  mkdirSync(join(dir, "authorized_keys"), { recursive: true });
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // sshd's privilege-separation directory
  const hostKey = makeKey(dir, "ssh_host_ed25519_key");
  const port = await freePort();
  const logFile = join(dir, "sshd.log");
  const config = join(dir, "sshd_config");
  const variables = Object.entries(options.setEnv ?? {});
  const unsayable = variables.find(([name, value]) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /["\\\n]/.test(value));
  if (unsayable) throw new Error(`sshd's SetEnv cannot carry ${unsayable[0]}=${JSON.stringify(unsayable[1])}`);
  const setEnv = variables.length > 0 ? [`SetEnv ${variables.map(([name, value]) => `"${name}=${value}"`).join(" ")}`] : [];
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey.privateKey}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys", "%u")}`,
      "StrictModes no",
      "UsePAM no",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PubkeyAuthentication yes",
      "PermitRootLogin prohibit-password",
      "LogLevel VERBOSE",
      ...setEnv,
      ...(options.extraConfig ?? []),
      "",
    ].join("\n"),
  );
  const tested = spawnSync(SSHD, ["-t", "-f", config], { encoding: "utf8" });
  if (tested.status !== 0) throw new Error(`sshd -t refused its config: ${tested.stderr || tested.error?.message}`);
  const child = spawn(SSHD, ["-D", "-f", config, "-E", logFile], { stdio: "ignore", detached: true });
  child.unref();
  const log = () => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  await waitFor(() => listening(port), 10_000, `sshd on port ${port} (${log()})`);
  const [type, key] = hostKey.publicLine.split(" ");
  return {
    port,
    knownHostsLine: `[127.0.0.1]:${port} ${type} ${key}`,
    authorizedKeysOf: (user) => join(dir, "authorized_keys", user),
    log,
    stop() {
      try {
        if (child.pid !== undefined) process.kill(child.pid, "SIGTERM");
      } catch {
        // already gone
      }
    },
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}
