import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createMemoryLogger, runCommand, STOP_GRACE_MS } from "@hop3/core";
import { caught } from "./helpers.js";

/** Live processes (not zombies) whose command line is `commandLine`. */
function processesWith(commandLine: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      if (cmd === commandLine) found.push(`${entry} ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** A `sleep` whose command line is unique to one test, so the test can look for it in /proc. */
const uniqueSleep = () => `30.${Math.floor(Math.random() * 1e9)}`;

// Real processes: the runner is the one place Hop3 starts programs, so it is tested against them.
describe("runCommand", () => {
  it("streams stdout and stderr lines to the logger as they come, and returns the output", async () => {
    const logger = createMemoryLogger();
    const result = await runCommand("sh", ["-c", "echo one; echo two >&2; echo three"], { logger });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("one\nthree");
    expect(result.stderr).toBe("two");
    expect(logger.entries.filter((e) => e.level === "output").map((e) => e.text).sort()).toEqual(["one", "three", "two"]);
  });

  it("runs in the given directory with the given environment", async () => {
    const result = await runCommand("sh", ["-c", 'echo "$PWD $HOP3_TEST_VALUE"'], { cwd: "/tmp", env: { HOP3_TEST_VALUE: "v" } });
    expect(result.stdout).toBe("/tmp v");
  });

  it("raises COMMAND_FAILED with the exit code and the last output lines", async () => {
    const error = await caught(() =>
      runCommand("sh", ["-c", "for i in 1 2 3 4 5; do echo line $i; done; echo fatal: it broke >&2; exit 3"], { purpose: "the test build" }),
    );
    expect(error.code).toBe("COMMAND_FAILED");
    expect(error.message).toContain("the test build exited with code 3");
    expect(error.message).toContain("fatal: it broke");
    expect(error.details.lastLines).toContain("line 5");
  });

  it("keeps only the last lines asked for", async () => {
    const error = await caught(() => runCommand("sh", ["-c", "seq 1 100; exit 1"], { keepLines: 5 }));
    expect(error.details.lastLines).toEqual(["96", "97", "98", "99", "100"]);
  });

  it("returns a failed exit as a result when failure is allowed", async () => {
    const result = await runCommand("sh", ["-c", "echo out; exit 4"], { allowFailure: true });
    expect(result.exitCode).toBe(4);
    expect(result.lastLines).toEqual(["out"]);
  });

  it("raises COMMAND_NOT_FOUND with the hint given", async () => {
    const error = await caught(() => runCommand("hop3-no-such-program", [], { notFoundHint: "apt-get install it" }));
    expect(error.code).toBe("COMMAND_NOT_FOUND");
    expect(error.message).toContain("hop3-no-such-program");
    expect(error.hint).toBe("apt-get install it");
  });

  it("stops a command at its time limit with COMMAND_TIMEOUT", async () => {
    const started = Date.now();
    const error = await caught(() => runCommand("sleep", ["30"], { timeoutMs: 200, purpose: "the slow step" }));
    expect(error.code).toBe("COMMAND_TIMEOUT");
    expect(error.message).toContain("the slow step did not finish within 0.2 s");
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("stops a command when its signal is aborted, with COMMAND_CANCELLED", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await caught(() => runCommand("sleep", ["30"], { signal: controller.signal }));
    expect(error.code).toBe("COMMAND_CANCELLED");
  });

  it("stops what the program started too: `sh -c 'sleep 30 && ...'` ends at once on abort", async () => {
    const sleep = uniqueSleep();
    const controller = new AbortController();
    const logger = createMemoryLogger();
    const running = caught(() => runCommand("sh", ["-c", `echo started; sleep ${sleep} && echo never`], { signal: controller.signal, logger }));
    await waitUntil(() => processesWith(`sleep ${sleep}`).length === 1);
    const started = Date.now();
    controller.abort();
    const error = await running;
    expect(error.code).toBe("COMMAND_CANCELLED");
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(processesWith(`sleep ${sleep}`)).toEqual([]);
    // Output streaming still works in a process group of its own.
    expect(logger.entries.filter((e) => e.level === "output").map((e) => e.text)).toEqual(["started"]);
  });

  it("stops the whole group at the time limit too", async () => {
    const sleep = uniqueSleep();
    const error = await caught(() => runCommand("sh", ["-c", `sleep ${sleep} && echo never`], { timeoutMs: 300 }));
    expect(error.code).toBe("COMMAND_TIMEOUT");
    expect(processesWith(`sleep ${sleep}`)).toEqual([]);
  });

  it("kills a group that ignores SIGTERM after the grace period", async () => {
    const sleep = uniqueSleep();
    const controller = new AbortController();
    const running = caught(() => runCommand("sh", ["-c", `trap '' TERM; sleep ${sleep}; sleep ${sleep}`], { signal: controller.signal }));
    await waitUntil(() => processesWith(`sleep ${sleep}`).length === 1);
    const started = Date.now();
    controller.abort();
    const error = await running;
    expect(error.code).toBe("COMMAND_CANCELLED");
    expect(Date.now() - started).toBeGreaterThanOrEqual(STOP_GRACE_MS - 100);
    expect(Date.now() - started).toBeLessThan(STOP_GRACE_MS + 2_000);
    expect(processesWith(`sleep ${sleep}`)).toEqual([]);
  });

  it("leaves no group behind when Hop3 exits while a program runs", async () => {
    const sleep = uniqueSleep();
    const script = `import { runCommand } from "@hop3/core";\nrunCommand("sh", ["-c", "sleep ${sleep}; echo never"]).catch(() => undefined);\nsetTimeout(() => process.exit(3), 500);\n`;
    const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), "--conditions=@hop3/source", "--input-type=module", "-e", script], { cwd: join(import.meta.dirname, ".."), stdio: "ignore" });
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(3);
    expect(processesWith(`sleep ${sleep}`)).toEqual([]);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
