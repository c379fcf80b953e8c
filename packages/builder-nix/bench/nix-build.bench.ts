import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { defineBench } from "@hop3/bench";
import { createDistribution } from "@hop3/core";
import { nixPlugin } from "@hop3/builder-nix";

const execFileAsync = promisify(execFile);
const FIXTURE = resolve(import.meta.dirname, "..", "..", "..", "test-fixtures", "apps", "nix-web");

// Both sides get the same environment; no binary cache is reachable, so none is asked.
const work = mkdtempSync(join(tmpdir(), "hop3-nix-bench-"));
// HOP3_HOME lies inside: as root, app users must pass through it to reach their own files.
chmodSync(work, 0o711);
const env = { ...process.env, NIX_CONFIG: "substituters =\n", HOP3_HOME: join(work, "home") };

const rawNixBuild = (dir: string) => execFileAsync("nix-build", ["hop3.nix", "-A", "package", "--no-out-link"], { cwd: dir, env });

/** The whole API path a deploy takes: compose, plan, build (GC root included, as deployed). */
async function hop3Build(dir: string) {
  const distribution = createDistribution({ plugins: [nixPlugin()], env });
  return distribution.build(await distribution.plan(dir));
}

/** A copy of nix-web whose derivation is new to the store: an extra attribute changes its hash. */
let fresh = "";
function newApp(): void {
  fresh = join(work, `nix-web-${randomBytes(4).toString("hex")}`);
  cpSync(FIXTURE, fresh, { recursive: true });
  const nix = readFileSync(join(fresh, "hop3.nix"), "utf8");
  writeFileSync(join(fresh, "hop3.nix"), nix.replace('name = "nix-web";', `name = "nix-web";\n    benchNonce = "${randomBytes(8).toString("hex")}";`));
}

export default defineBench({
  name: "builder-nix",
  setup: () => () => rmSync(work, { recursive: true, force: true }),
  cases: [
    {
      name: "cached build of nix-web",
      subject: { label: "createDistribution+plan+build", run: () => hop3Build(FIXTURE) },
      baseline: { label: "nix-build", run: () => rawNixBuild(FIXTURE) },
      iterations: 30,
      goal: "< 50 ms overhead",
    },
    {
      name: "first build of a new nix-web derivation",
      subject: { label: "createDistribution+plan+build", run: () => hop3Build(fresh) },
      baseline: { label: "nix-build", run: () => rawNixBuild(fresh) },
      beforeEach: newApp,
      cold: true,
      iterations: 15,
      goal: "< 50 ms overhead",
    },
  ],
});
