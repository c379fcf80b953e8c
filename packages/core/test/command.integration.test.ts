import { describe, expect, it } from "vitest";
import { createMemoryLogger, runCommand } from "@hop3/core";
import { caught } from "./helpers.js";

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
});
