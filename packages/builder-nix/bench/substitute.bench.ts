import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { defineBench } from "@hop3/bench";
import { createDistribution } from "@hop3/core";
import { nixPlugin } from "@hop3/builder-nix";

// A deploy's build on a second server that substitutes from a signed file:// cache, against the
// same build on a server that builds it: each timed run starts with the path absent from the store.
// Server A built, signed and pushed it beforehand (untimed); the path was then deleted from the store.
const execFileAsync = promisify(execFile);
const FIXTURE = resolve(import.meta.dirname, "..", "..", "..", "test-fixtures", "apps", "nix-web");
const work = mkdtempSync(join(tmpdir(), "hop3-nix-subst-bench-"));
chmodSync(work, 0o711);
const cache = join(work, "cache");
const base = { ...process.env, NIX_CONFIG: "substituters =\n" };
const server = (name: string, nix: Record<string, unknown>) => {
  mkdirSync(join(work, name), { mode: 0o711 });
  writeFileSync(join(work, name, "config.json"), JSON.stringify({ nix }));
  return { ...base, HOP3_HOME: join(work, name, "home"), HOP3_CONFIG: join(work, name, "config.json") };
};
let envA: NodeJS.ProcessEnv = {};
let envB: NodeJS.ProcessEnv = {};
let envPlain: NodeJS.ProcessEnv = {};

async function build(env: NodeJS.ProcessEnv, dir: string): Promise<string> {
  const distribution = createDistribution({ plugins: [nixPlugin({ gcRoots: false })], env });
  return (await distribution.build(await distribution.plan(dir))).location;
}

/** A copy of nix-web new to the store, built and pushed by A, then deleted from the store. */
let fresh = "";
async function pushedByA(buildSeconds = 0): Promise<void> {
  fresh = join(work, `nix-web-${randomBytes(4).toString("hex")}`);
  cpSync(FIXTURE, fresh, { recursive: true });
  const nix = readFileSync(join(fresh, "hop3.nix"), "utf8");
  writeFileSync(join(fresh, "hop3.nix"), nix.replace('name = "nix-web";', `name = "nix-web";\n    benchNonce = "${randomBytes(8).toString("hex")}";`).replace("set -e", `set -e; sleep ${buildSeconds}`));
  const path = await build(envA, fresh);
  await execFileAsync("nix-store", ["--delete", path], { env: base });
}

export default defineBench({
  name: "builder-nix distributed",
  async setup() {
    const key = join(work, "a", "key.sec");
    envA = server("a", { cache: `file://${cache}`, signingKey: key });
    await execFileAsync("nix-store", ["--generate-binary-cache-key", "bench-a-1", key, join(work, "a", "key.pub")]);
    await execFileAsync("nix", ["--extra-experimental-features", "nix-command", "store", "ping", "--store", `file://${cache}`], { env: base });
    envB = server("b", { cache: `file://${cache}`, trustedKeys: [readFileSync(join(work, "a", "key.pub"), "utf8").trim()] });
    envPlain = server("plain", {});
    return () => rmSync(work, { recursive: true, force: true });
  },
  cases: [
    {
      name: "second server: substitute nix-web vs build it",
      subject: { label: "build, substituted from the cache", run: () => build(envB, fresh) },
      baseline: { label: "build, built here", run: () => build(envPlain, fresh) },
      beforeEach: () => pushedByA(),
      cold: true,
      iterations: 8,
      goal: "nix-web builds in 0.1 s: the checks before substituting cost more than that",
    },
    {
      name: "second server: substitute a build of 3 s vs build it",
      subject: { label: "build, substituted from the cache", run: () => build(envB, fresh) },
      baseline: { label: "build, built here", run: () => build(envPlain, fresh) },
      beforeEach: () => pushedByA(3),
      cold: true,
      iterations: 5,
      goal: "< 0.5x: the build's own time is what substitution saves",
    },
  ],
});
