import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { lookupUser, runCommand, sshLoginOf, type SshLogin } from "@hop3/core";
import { describeInstall, gatherFacts, machineProbes, planSetup, runSetup } from "@hop3/server-setup";
import { makeKey, startSshd, type TestKey, type TestSshd } from "@hop3/test-support/sshd";
import { hop3 } from "./run-hop3.js";

// A Hop3 server reached through deploy keys, for the tests of `git push`, remotes and `--build-here`:
// what `hop3 setup` does for the login user (with this checkout's hop3 as the install), a real sshd
// on loopback reading that user's authorized_keys, and a "developer machine" directory with its own
// known_hosts and two keys, added with `hop3 keys add`: `admin` (every app) and `limited`.

/** This checkout's hop3, run from its sources. */
export const hop3Bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url));
export const hop3FromSource = (): string[] => [process.execPath, "--import", import.meta.resolve("tsx"), "--conditions=@hop3/source", hop3Bin];

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface KeysServer {
  readonly login: SshLogin;
  readonly sshd: TestSshd;
  /** The developer machine: HOME of every program run with `runProgram`, its keys and known_hosts. */
  readonly developer: string;
  readonly admin: TestKey;
  readonly limited: TestKey;
  /** Runs a program on the developer machine (HOME = `developer`), never rejecting. */
  runProgram(file: string, args: readonly string[], options?: { cwd?: string; env?: Record<string, string> }): Promise<Ran>;
  /** Stops sshd and the server's Hop3, and removes the sudoers rule. */
  stop(): Promise<void>;
}

/**
 * Sets up the login user for `env.HOP3_HOME` (its parent must be 0711 for the user to pass), starts
 * sshd and adds the two keys: `admin` for every app, `limited` (key name `limitedName`) for
 * `limitedApps` only.
 */
export async function startKeysServer(root: string, env: Record<string, string>, limited: { name: string; apps: string }): Promise<KeysServer> {
  const home = env.HOP3_HOME!;
  const developer = join(root, "developer");
  mkdirSync(developer, { recursive: true });
  const login = sshLoginOf({ home, env });
  const described = describeInstall(hop3FromSource(), env);
  // sudo starts the entry with a clean environment: the entry carries what this server's hop3 needs.
  const install = { ...described, settings: { ...described.settings, ...(env.NIX_CONFIG !== undefined && { NIX_CONFIG: env.NIX_CONFIG }) } };
  const facts = await gatherFacts(machineProbes(process.env), { packages: [], programs: [], deployUser: "root", install });
  const plan = planSetup([], facts, { without: [], with: [] }, install);
  const steps = plan.steps.filter((step) => step.component === "ssh-login");
  const report = await runSetup({ ...plan, steps, checks: [] }, { run: runCommand, hasProgram: () => true, env: process.env, signal: new AbortController().signal, step: (_name, action) => action({ info() {}, warn() {}, debug() {}, output() {} }) });
  expect(report.status, JSON.stringify(report.steps)).toBe("changed");
  // The global sweep of another test run removes idle test users of temporary homes: this one runs something until the end.
  const user = lookupUser(login.user)!;
  const keepAlive: ChildProcess = spawn("sleep", ["3600"], { uid: user.uid, gid: user.gid, stdio: "ignore" });

  const sshd = await startSshd({ dir: join(root, "sshd"), extraConfig: [`Match User ${login.user}`, `  AuthorizedKeysFile ${login.keysFile}`] });
  const admin = makeKey(developer, "admin");
  const limitedKey = makeKey(developer, "limited");
  writeFileSync(join(developer, "known_hosts"), `${sshd.knownHostsLine}\n`);
  const addedAdmin = await hop3(["keys", "add", "admin", admin.publicKey], env);
  expect(addedAdmin.code, addedAdmin.stderr).toBe(0);
  const addedLimited = await hop3(["keys", "add", limited.name, limitedKey.publicLine, "--apps", limited.apps], env);
  expect(addedLimited.code, addedLimited.stderr).toBe(0);

  const runProgram: KeysServer["runProgram"] = (file, args, options = {}) =>
    new Promise((done) => {
      execFile(file, [...args], { cwd: options.cwd, env: { ...process.env, HOME: developer, ...options.env }, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      });
    });
  return {
    login,
    sshd,
    developer,
    admin,
    limited: limitedKey,
    runProgram,
    async stop() {
      sshd.stop();
      await hop3(["server", "stop"], env);
      rmSync(login.sudoersFile, { force: true });
      keepAlive.kill();
    },
  };
}
