import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// The kit must fail builders that break the contract, each on the rule broken, and pass one that keeps it.
const root = resolve(import.meta.dirname, "../../..");
const config = join(import.meta.dirname, "kit-fixtures/vitest.config.ts");

interface Outcome {
  readonly title: string;
  readonly status: string;
  readonly failureMessages?: readonly string[];
}

function runKit(builder: string): Promise<Outcome[]> {
  return new Promise((done, fail) => {
    execFile(
      join(root, "node_modules/.bin/vitest"),
      ["run", "--config", config, "--reporter=json"],
      { cwd: root, env: { ...process.env, HOP3_KIT_BUILDER: builder, NO_COLOR: "1" }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (_error, stdout, stderr) => {
        try {
          const report = JSON.parse(stdout.slice(stdout.indexOf("{"))) as { testResults: Array<{ assertionResults: Outcome[] }> };
          done(report.testResults.flatMap((file) => file.assertionResults));
        } catch {
          fail(new Error(`no JSON report from vitest:\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

const failedOf = (outcomes: Outcome[]) => outcomes.filter((o) => o.status === "failed").map((o) => o.title);

const HALF_WAY = "honours cancellation half-way: a build aborted while it runs stops soon with a coded *_CANCELLED error";
const ALREADY_ABORTED = "honours cancellation: a build with an already-aborted signal stops with a coded *_CANCELLED error";

describe("describeBuilderConformance", () => {
  it("passes a builder that keeps the contract, checking cancellation half-way on the slow fixture", async () => {
    const outcomes = await runKit("good+slow");
    expect(outcomes.length).toBeGreaterThanOrEqual(7);
    expect(failedOf(outcomes)).toEqual([]);
    expect(outcomes.find((o) => o.title === HALF_WAY)?.status).toBe("passed");
  }, 130_000);

  it("says that cancellation half-way was not checked when there is no slow fixture", async () => {
    const outcomes = await runKit("good");
    expect(failedOf(outcomes)).toEqual([]);
    const skipped = outcomes.filter((o) => o.status === "skipped" || o.status === "pending").map((o) => o.title);
    expect(skipped).toEqual([
      expect.stringMatching(/^preview\(\) .*NOT CHECKED: the builder has no preview\(\)/),
      expect.stringMatching(/^honours cancellation half-way.*NOT CHECKED: give fixtures\.cancellable/),
    ]);
  }, 130_000);

  it("fails a cancellable fixture that builds before the abort, saying so", async () => {
    const outcome = (await runKit("good+fast")).find((o) => o.title === HALF_WAY);
    expect(outcome?.status).toBe("failed");
    expect(outcome?.failureMessages?.join("\n")).toContain("before the abort at 200 ms: cancellation half-way was not checked");
  }, 130_000);

  it("names the likely cause when a build runs on after its abort", async () => {
    const outcome = (await runKit("lingering+slow")).find((o) => o.title === HALF_WAY);
    expect(outcome?.status).toBe("failed");
    expect(outcome?.failureMessages?.join("\n")).toMatch(/after its signal was aborted \(allowed: 1500 ms\)\. Likely cause: a program it started is still running/);
  }, 130_000);

  it.each([
    ["side-effect", ["accept() has no side effects and answers the same each time"]],
    ["deaf+slow", [ALREADY_ABORTED]],
    ["uncoded", ["fails with a coded error, with a hint, where it cannot build"]],
    ["sloppy", ["builds each accepted fixture into a valid artifact, leaving the sources untouched"]],
  ])("fails the %s builder on the rule it breaks", async (builder, failing) => {
    const failed = failedOf(await runKit(builder));
    for (const title of failing) expect(failed).toContain(title);
  }, 130_000);
});
