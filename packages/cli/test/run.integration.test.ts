import { spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { detectCgroups, ensureAppUser, removeCgroups, writeAppRecord, writeRelease, type AppUser } from "@hop3/core";
import { hop3 } from "./run-hop3.js";

// `hop3 run APP -- CMD`: a one-off command in the live release's environment, as the app's user,
// against real processes (setpriv, prlimit, script). The app is recorded as a deploy leaves it;
// nothing of it runs but the commands.
const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url));
const tsx = import.meta.resolve("tsx");
const home = mkdtempSync(join(tmpdir(), "h3run-"));
chmodSync(home, 0o711);
const env = { HOP3_HOME: home };
const MiB = 1024 * 1024;
const user: AppUser = ensureAppUser({ home, env: process.env }, "blog");
const release = join(home, "apps", "blog", "release");
mkdirSync(join(release, "bin"), { recursive: true });
writeFileSync(join(release, "bin", "hello"), "#!/bin/sh\necho hello from the release\n", { mode: 0o755 });
for (const path of [release, join(release, "bin"), join(release, "bin", "hello")]) chownSync(path, user.uid, user.gid);
writeAppRecord(home, { name: "blog", source: release, appEnv: { FROM_TOML: "toml" }, userEnv: { GREETING: "it's me\nsecond line" }, scale: {}, domains: [], liveRelease: "r1", limits: { openFiles: 777 } });
writeRelease(home, {
  id: "r1", app: "blog", createdAt: new Date().toISOString(), source: release, builder: "test", deployer: "uwsgi", status: "live",
  artifact: { apiVersion: 1, kind: "generic", location: release, builder: "test", appName: "blog", buildId: "1", builtAt: new Date().toISOString(), metadata: {}, runtime: { workers: { web: "serve" }, env: { FROM_ARTIFACT: "artifact", LD_PRELOAD: "/nonexistent/preload.so" }, path: ["bin"], workingDir: release } },
});

/** `hop3 ...` with its stdin fed from `input`. */
function hop3WithInput(args: readonly string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", tsx, "--conditions=@hop3/source", bin, ...args], { env: { ...process.env, ...env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe("hop3 run", () => {
  afterAll(() => {
    removeCgroups(detectCgroups(), user.name);
    rmSync(home, { recursive: true, force: true });
  });

  it("runs the command as the app's user, never root, with the release's env, PATH, directory and limits", async () => {
    const run = await hop3(["run", "blog", "--", "sh", "-c", 'id -u; echo "$GREETING"; echo "$FROM_TOML $FROM_ARTIFACT $HOME"; pwd; hello; ulimit -n; grep NoNewPrivs /proc/self/status'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split("\n")).toEqual([String(user.uid), "it's me", "second line", `toml artifact ${user.home}`, release, "hello from the release", "777", expect.stringMatching(/^NoNewPrivs:\s+1$/), ""]);
    expect(user.uid).not.toBe(0);
  });

  it("gives the app's variables to its command only, never to the root programs before the privilege drop", async () => {
    // LD_PRELOAD from the app would run in prlimit and setpriv as root: only the command (one dash) may warn of the missing library.
    const run = await hop3(["run", "blog", "--", "sh", "-c", ":"], env);
    expect(run.code).toBe(0);
    expect(run.stderr.trim().split("\n")).toEqual([expect.stringContaining("/nonexistent/preload.so")]);
  });

  it("passes the exit code through, and a signal as 128+n", async () => {
    expect((await hop3(["run", "blog", "--", "sh", "-c", "exit 7"], env)).code).toBe(7);
    expect((await hop3(["run", "blog", "--", "sh", "-c", "kill -TERM $$"], env)).code).toBe(143);
  });

  it("streams stdin to the command", async () => {
    const run = await hop3WithInput(["run", "blog", "--", "sh", "-c", "tr a-z A-Z; exit 3"], "line one\nline two\n");
    expect(run).toMatchObject({ code: 3, stdout: "LINE ONE\nLINE TWO\n" });
  });

  it("gives the command a terminal of its own with -t", async () => {
    const run = await hop3(["run", "blog", "-t", "--", "sh", "-c", "test -t 1 && echo has-a-tty; exit 4"], env);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stdout).toContain("has-a-tty");
    const without = await hop3(["run", "blog", "--", "sh", "-c", "test -t 1 || echo no-tty"], env);
    expect(without.stdout).toBe("no-tty\n");
  });

  it("runs the command in the app's cgroup, under its memory limit like its workers", async () => {
    writeAppRecord(home, { name: "blog", source: release, appEnv: {}, userEnv: {}, scale: {}, domains: [], liveRelease: "r1", limits: { memoryBytes: 64 * MiB } });
    try {
      const where = await hop3(["run", "blog", "--", "sh", "-c", "grep memory /proc/self/cgroup"], env);
      expect(where.code, where.stderr).toBe(0);
      expect(where.stdout).toMatch(new RegExp(`memory:.*/hop3/${user.name}/run\n`));
      // 32 MiB written fits; 256 MiB written does not: the kernel kills it (SIGKILL, 137) or Python gets MemoryError (1).
      const small = await hop3(["run", "blog", "--", "python3", "-c", "b = b'x' * (32 * 1024 * 1024); print(len(b))"], env);
      expect(small.code, small.stderr).toBe(0);
      const big = await hop3(["run", "blog", "--", "python3", "-c", "b = b'x' * (256 * 1024 * 1024); print(len(b))"], env);
      expect([137, 1], big.stderr).toContain(big.code);
      expect(big.stdout).toBe("");
    } finally {
      writeAppRecord(home, { name: "blog", source: release, appEnv: { FROM_TOML: "toml" }, userEnv: { GREETING: "it's me\nsecond line" }, scale: {}, domains: [], liveRelease: "r1", limits: { openFiles: 777 } });
    }
  });

  it("refuses an app with no live release, and an app that does not exist, with their codes", async () => {
    writeAppRecord(home, { name: "draft", source: release, appEnv: {}, userEnv: {}, scale: {}, domains: [] });
    const draft = await hop3(["run", "draft", "--json", "--", "true"], env);
    expect(draft.code).toBe(2); // --json is refused: the command's own output is what run prints
    const notLive = await hop3(["run", "draft", "--", "true"], env);
    expect(notLive.code).toBe(1);
    expect(notLive.stderr).toContain("error[APP_NOT_LIVE]");
    const missing = await hop3(["run", "nosuch", "--", "true"], env);
    expect(missing.stderr).toContain("error[APP_NOT_FOUND]");
    expect((await hop3(["run", "blog"], env)).code).toBe(2);
  });
});
