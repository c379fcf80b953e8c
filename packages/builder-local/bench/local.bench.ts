import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { defineBench } from "@hop3/bench";
import { createDistribution, type BuildPlan, type Distribution } from "@hop3/core";
import { localBuilderPlugin } from "../src/index.js";

const execFileAsync = promisify(execFile);
const FIXTURES = resolve(import.meta.dirname, "..", "..", "..", "test-fixtures", "local-apps");
const home = mkdtempSync(join(tmpdir(), "h3lb-"));
const env = { ...process.env, HOP3_HOME: home };
const fresh = createDistribution({ plugins: [localBuilderPlugin({ reuse: false })], env });
const reusing = createDistribution({ plugins: [localBuilderPlugin()], env });
const plans: Record<string, BuildPlan> = {};
let scratch = 0;

/** What a person would type: copy the sources, then the toolchain's own commands. */
async function byHand(fixture: string, commands: ReadonlyArray<readonly [string, ...string[]]>): Promise<void> {
  const dir = join(home, "by-hand", String(scratch++));
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  for (const [file, ...args] of commands) await execFileAsync(file, args, { cwd: dir });
}

const build = (d: Distribution, fixture: string) => d.build(plans[fixture]!);

// Overhead: the same work through the builder (copy, detection, streaming, artifact) and by hand.
// The rebuild case compares an unchanged Node rebuild (node_modules reused) with a first build.
export default defineBench({
  name: "builder-local",
  async setup() {
    for (const fixture of ["node-with-dep", "go-module", "python-empty-reqs"]) plans[fixture] = await fresh.plan(join(FIXTURES, fixture));
    await build(reusing, "node-with-dep"); // the release an unchanged rebuild finds
    return () => rmSync(home, { recursive: true, force: true });
  },
  cases: [
    {
      name: "node app with one dependency, first build",
      subject: { label: "LocalBuilder.build", run: () => build(fresh, "node-with-dep") },
      baseline: { label: "cp + npm ci", run: () => byHand("node-with-dep", [["npm", "ci", "--no-audit", "--no-fund"]]) },
      iterations: 5,
      goal: "< 100 ms overhead",
    },
    {
      name: "go module",
      subject: { label: "LocalBuilder.build", run: () => build(fresh, "go-module") },
      baseline: { label: "cp + go build", run: () => byHand("go-module", [["go", "build", "-o", "bin/go-module", "."]]) },
      iterations: 5,
      goal: "< 100 ms overhead",
    },
    {
      name: "python app, empty requirements",
      subject: { label: "LocalBuilder.build", run: () => build(fresh, "python-empty-reqs") },
      baseline: { label: "cp + python3 -m venv", run: () => byHand("python-empty-reqs", [["python3", "-m", "venv", ".venv"]]) },
      iterations: 3,
      goal: "< 200 ms overhead",
    },
    {
      name: "unchanged node rebuild vs first build",
      subject: { label: "rebuild (node_modules reused)", run: () => build(reusing, "node-with-dep") },
      baseline: { label: "first build", run: () => build(fresh, "node-with-dep") },
      iterations: 5,
      goal: "ratio <= 0.2 (5x faster)",
    },
  ],
});
