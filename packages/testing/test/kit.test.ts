import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// The kit must fail builders that break the contract, each on the rule broken, and pass one that keeps it.
const root = resolve(import.meta.dirname, "../../..");
const config = join(import.meta.dirname, "kit-fixtures/vitest.config.ts");

interface Outcome {
  readonly title: string;
  readonly status: string;
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

describe("describeBuilderConformance", () => {
  it("passes a builder that keeps the contract", async () => {
    const outcomes = await runKit("good");
    expect(outcomes.length).toBeGreaterThanOrEqual(6);
    expect(failedOf(outcomes)).toEqual([]);
  }, 130_000);

  it.each([
    ["side-effect", ["accept() has no side effects and answers the same each time"]],
    ["deaf", ["honours cancellation: an aborted build stops with a coded error"]],
    ["uncoded", ["fails with a coded error, with a hint, where it cannot build"]],
    ["sloppy", ["builds each accepted fixture into a valid artifact, leaving the sources untouched", "honours cancellation: an aborted build stops with a coded error"]],
  ])("fails the %s builder on the rule it breaks", async (builder, failing) => {
    const failed = failedOf(await runKit(builder));
    for (const title of failing) expect(failed).toContain(title);
  }, 130_000);
});
