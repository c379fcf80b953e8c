import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export { httpGet, freePort } from "@hop3/test-support";

const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url));
const tsx = import.meta.resolve("tsx");

export interface Hop3Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json<T = Record<string, unknown>>(): T;
}

/** Runs the real `hop3` program, from source, as a separate process. */
export function hop3(args: readonly string[], env: Record<string, string>, cwd?: string, nodeFlags: readonly string[] = []): Promise<Hop3Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...nodeFlags, "--import", tsx, "--conditions=@hop3/source", bin, ...args],
      { env: { ...process.env, ...env, NO_COLOR: "1" }, cwd, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) });
      },
    );
  });
}

/** A long-running `hop3` (logs --follow): read its output as it comes, then interrupt it like Ctrl-C. */
export function spawnHop3(args: readonly string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", tsx, "--conditions=@hop3/source", bin, ...args], {
    env: { ...process.env, ...env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<number>((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  return {
    async until(done: (text: string) => boolean, timeoutMs: number): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      while (!done(output) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      return output;
    },
    interrupt(): Promise<number> {
      child.kill("SIGINT");
      return exited;
    },
  };
}

/**
 * A folder of `../shared/compat/` (next to the checkout; a worktree deeper down finds it through
 * /tmp/shared): upstream Hop3's test data, read where it lies.
 */
function sharedCompat(...path: string[]): string {
  const repositoryRoot = resolve(import.meta.dirname, "..", "..", "..");
  const candidates = [resolve(repositoryRoot, ".."), "/tmp"].map((dir) => join(dir, "shared", "compat", ...path));
  return candidates.find(existsSync) ?? candidates[0]!;
}

/** Upstream Hop3's test apps (`hop3-upstream-apps/test-apps`). */
export const UPSTREAM_TEST_APPS = sharedCompat("hop3-upstream-apps", "test-apps");

/** The test apps upstream itself marks as failing (`hop3-upstream-apps/test-apps-fail`). */
export const UPSTREAM_FAILING_TEST_APPS = sharedCompat("hop3-upstream-apps", "test-apps-fail");

/** Upstream Hop3's configuration corpus: every app folder of its repository (`hop3-upstream`). */
export const UPSTREAM_CORPUS = sharedCompat("hop3-upstream");
