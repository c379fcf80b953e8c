import { execFileSync, spawn } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appStateDir, findAppUser } from "@hop3/core";
import { freePort, waitFor } from "@hop3/test-support";
import { hop3 } from "./run-hop3.js";

// Ctrl-C and SIGTERM, for real: a real signal to a real `hop3 deploy` while the real nix-build,
// the Local builder's shell step or `docker build` is running a slow fixture. Each first deploy
// must end in a coded *_CANCELLED error (exit 1) with nothing half-made under HOP3_HOME and none
// of the processes hop3 started left running.
const fixtures = resolve(import.meta.dirname, "../../../test-fixtures/slow-apps");
const START_DOCKERD = resolve(import.meta.dirname, "../../../scripts/start-dockerd.sh");
const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url));
const tsx = import.meta.resolve("tsx");

const home = mkdtempSync(join(tmpdir(), "hop3-cancel-"));
chmodSync(home, 0o711);
let env: Record<string, string> = {};

beforeAll(async () => {
  const output = process.env.DOCKER_HOST ? "" : execFileSync(START_DOCKERD, { encoding: "utf8", timeout: 120_000 });
  const dockerHost = process.env.DOCKER_HOST ?? /^export DOCKER_HOST=(\S+)$/m.exec(output)?.[1];
  if (!dockerHost) throw new Error(`scripts/start-dockerd.sh printed no DOCKER_HOST:\n${output}`);
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(await freePort()), NIX_CONFIG: "substituters =\n", DOCKER_HOST: dockerHost, NO_COLOR: "1" };
});

afterAll(async () => {
  await hop3(["server", "stop"], env);
  expect(liveProcesses().filter((p) => p.cmd.includes(home))).toEqual([]);
});

/**
 * Every path under `dir` but logs (the running release writes them meanwhile) and the Nix builder's
 * copy of the sources (a mirror it syncs at the start of every build, not a release).
 */
function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((path) => !/(^|\/)logs?(\/|$)|\.log$|^nix\/src\//.test(path)).sort();
}

/** A copy of a slow fixture under its own name, with a nonce (its own Nix derivation) and busybox (the Docker image's only program). */
function slowApp(fixture: string, name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), "hop3-cancel-app-")), name);
  cpSync(join(fixtures, fixture), dir, { recursive: true });
  writeFileSync(join(dir, "nonce"), `${process.pid}-${Date.now()}-${Math.random()}\n`);
  if (fixture === "docker-slow") copyFileSync("/bin/busybox", join(dir, "busybox"));
  chmodSync(dirname(dir), 0o755);
  return dir;
}

interface LiveProcess {
  readonly pid: number;
  readonly ppid: number;
  readonly cmd: string;
}

/** Every process alive now (zombies are dead: their parent has yet to reap them). */
function liveProcesses(): LiveProcess[] {
  const found: LiveProcess[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue;
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      found.push({ pid: Number(entry), ppid: Number(fields[1]), cmd });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** The processes under `root` in the process tree. */
function descendants(root: number): LiveProcess[] {
  const all = liveProcesses();
  const found: LiveProcess[] = [];
  const parents = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

/** Starts `hop3 deploy DIR`, waits until the build runs `marker`, sends `signal`, and returns what hop3 did. */
async function deployAndSignal(dir: string, marker: string, signal: NodeJS.Signals, json: boolean, more: readonly string[] = []) {
  const child = spawn(process.execPath, ["--import", tsx, "--conditions=@hop3/source", bin, "deploy", dir, ...more, ...(json ? ["--json"] : [])], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  const building = await waitFor(() => liveProcesses().find((p) => p.cmd === marker), 90_000, `${marker} to run`).catch((error: Error) => {
    child.kill("SIGKILL");
    throw new Error(`${error.message}\n${stderr}`);
  });
  // Everything hop3 started but the Nix daemon, which it starts detached to outlive it, as a service.
  const started = descendants(child.pid!).filter((p) => !p.cmd.includes("nix-daemon"));
  child.kill(signal);
  const code = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve("still running 30 s after the signal"), 30_000))]);
  if (typeof code === "string") child.kill("SIGKILL");
  return { code, stdout, stderr, building, started };
}

function expectNothingLeft(app: string, result: Awaited<ReturnType<typeof deployAndSignal>>) {
  expect(existsSync(appStateDir(home, app)), `apps/${app} was left under HOP3_HOME`).toBe(false);
  expect(findAppUser({ home, env }, app), `the user of ${app} was left`).toBeUndefined();
  const stillAlive = new Set(liveProcesses().map((p) => `${p.pid} ${p.cmd}`));
  expect(result.started.filter((p) => stillAlive.has(`${p.pid} ${p.cmd}`))).toEqual([]);
}

describe.sequential("a signal during a build", () => {
  it.each([
    ["nix-slow", "sleep 311", "SIGINT"],
    ["local-slow", "sleep 312", "SIGTERM"],
    ["docker-slow", "/bin/busybox sleep 313", "SIGINT"],
  ] as const)("%s: %s to hop3 ends in a coded *_CANCELLED error, nothing half-made", async (fixture, marker, signal) => {
    const app = `cancel-${fixture}`;
    const result = await deployAndSignal(slowApp(fixture, app), marker, signal, false);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/error\[[A-Z_]+_CANCELLED\]: /);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/); // the usual user error, no stack
    expectNothingLeft(app, result);
    // The build's own step stops too (Nix's builder is the daemon's child, Docker's RUN the engine's).
    await waitFor(() => !liveProcesses().some((p) => p.cmd === marker), 20_000, `${marker} to stop`);
  });

  it.each([
    ["local-slow", "sleep 312", "SIGINT"],
    ["nix-slow", "sleep 311", "SIGTERM"],
  ] as const)("%s with --json: %s gives the error object on stdout", async (fixture, marker, signal) => {
    const app = `cancel-json-${fixture}`;
    const result = await deployAndSignal(slowApp(fixture, app), marker, signal, true);
    expect(result.code, result.stderr).toBe(1);
    const { error } = JSON.parse(result.stdout) as { error: { code: string; hint: string } };
    expect(error.code).toMatch(/_CANCELLED$/);
    expect(error.hint).not.toBe("");
    expectNothingLeft(app, result);
    await waitFor(() => !liveProcesses().some((p) => p.cmd === marker), 20_000, `${marker} to stop`);
  });

  it.each([
    ["nix-slow", "sleep 311", "../apps/nix-static"],
    ["local-slow", "sleep 312", "../local-apps/static-procfile"],
  ] as const)("%s as a new release of a live app: the live release stays, no release dir or GC root is added", async (fixture, marker, live) => {
    const app = `cancel-again-${fixture}`;
    const first = await hop3(["deploy", join(fixtures, live), "--app", app, "--json"], env);
    expect(first.code, first.stderr).toBe(0);
    const before = tree(appStateDir(home, app));
    const dir = slowApp(fixture, app);
    const result = await deployAndSignal(dir, marker, "SIGINT", false, ["--app", app]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/error\[[A-Z_]+_CANCELLED\]: /);
    expect(tree(appStateDir(home, app))).toEqual(before);
    const releases = await hop3(["releases", app, "--json"], env);
    expect(releases.json<Array<{ status: string }>>().map((r) => r.status)).toEqual(["live"]);
    await waitFor(() => !liveProcesses().some((p) => p.cmd === marker), 20_000, `${marker} to stop`);
  });
});
