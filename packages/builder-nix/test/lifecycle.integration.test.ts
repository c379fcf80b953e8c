import { execFile } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createDistribution, createMemoryLogger, silentLogger, type Logger } from "@hop3/core";
import { createNixBuilder, nixPlugin } from "@hop3/builder-nix";
import { caught, derivationNix, makeApp, nonce, tempDir, WRITE_RUNTIME_JSON } from "./helpers.js";

const execFileAsync = promisify(execFile);
const home = tempDir("hop3-home-");
const env = { ...process.env, HOP3_HOME: home };
const distribution = createDistribution({ plugins: [nixPlugin()], env });

/** Whether any process still runs with the word in its command line (builders run as nixbld users). */
function processRunning(word: string): boolean {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .some((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(word);
      } catch {
        return false;
      }
    });
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((done) => setTimeout(done, 50));
  }
  return condition();
}

/** A logger that calls back on each output line, for reacting while the build runs. */
const watching = (onLine: (text: string) => void): Logger => ({ ...silentLogger, output: (line) => onLine(line.text) });

describe("GC roots", () => {
  it("keeps the built closure alive with an indirect root under the app state, and discard frees it", async () => {
    const id = nonce();
    const dir = makeApp({ "hop3.nix": derivationNix(WRITE_RUNTIME_JSON, id) }, "gc-app");
    const artifact = await distribution.build(await distribution.plan(dir), { releaseId: "rel-1" });
    const link = join(home, "apps", "gc-app", "nix", "gcroots", "rel-1");
    expect(artifact.metadata.gcRoot).toBe(link);
    // Built in this run, so the derivation is known, and it is the one nix records.
    const { stdout: deriver } = await execFileAsync("nix-store", ["--query", "--deriver", artifact.location]);
    expect(artifact.metadata.drv).toBe(deriver.trim());
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(artifact.location);

    const refused = await caught(() => execFileAsync("nix-store", ["--delete", artifact.location]));
    expect(String((refused as { stderr?: string }).stderr)).toContain("since it is still alive");
    expect(existsSync(artifact.location)).toBe(true);

    const builder = createNixBuilder();
    const context = createDistribution({ plugins: [], env }).appContext("gc-app", { logger: silentLogger });
    await builder.discard!(artifact, context);
    expect(existsSync(link)).toBe(false);
    await builder.discard!(artifact, context); // twice is fine

    await execFileAsync("nix-store", ["--delete", artifact.location]);
    expect(existsSync(artifact.location)).toBe(false);
  });

  it("fails with NIX_GC_ROOT_FAILED, deploying nothing, when the root cannot be made", async () => {
    const dir = makeApp({ "hop3.nix": derivationNix(WRITE_RUNTIME_JSON) }, "blocked-gc-app");
    mkdirSync(join(home, "apps", "blocked-gc-app", "nix"), { recursive: true });
    writeFileSync(join(home, "apps", "blocked-gc-app", "nix", "gcroots"), "a file where the directory should be");
    const error = await caught(async () => distribution.build(await distribution.plan(dir)));
    expect(error.code).toBe("NIX_GC_ROOT_FAILED");
    expect(error.message).toContain(join(home, "apps", "blocked-gc-app", "nix", "gcroots"));
    expect(error.hint).toContain("gcRoots: false");
  });

  it("adds no root with gcRoots: false", async () => {
    const dir = makeApp({ "hop3.nix": derivationNix(WRITE_RUNTIME_JSON) }, "no-gc-app");
    const noRoots = createDistribution({ plugins: [nixPlugin({ gcRoots: false })], env });
    const artifact = await noRoots.build(await noRoots.plan(dir));
    expect(artifact.metadata.gcRoot).toBeUndefined();
    expect(existsSync(join(home, "apps", "no-gc-app", "nix", "gcroots"))).toBe(false);
  });
});

describe("a build in progress", () => {
  it("streams the build log to the logger line by line", async () => {
    const id = nonce();
    const dir = makeApp({ "hop3.nix": derivationNix(`echo "compiling ${id}"; echo "warning ${id}" >&2; ${WRITE_RUNTIME_JSON}`, id) });
    const logger = createMemoryLogger();
    await distribution.build(await distribution.plan(dir), { logger });
    const output = logger.entries.filter((entry) => entry.level === "output").map((entry) => entry.text);
    expect(output).toContain(`compiling ${id}`);
    expect(output).toContain(`warning ${id}`);
    // The env read is data, not build progress.
    expect(output.join("\n")).not.toContain("selection path 'env'");
  });

  it("stops when cancelled: COMMAND_CANCELLED, and the builder process is gone", async () => {
    const id = nonce();
    const dir = makeApp({ "hop3.nix": derivationNix(`echo "slow build started ${id}"; sleep 60; ${WRITE_RUNTIME_JSON}`, id) });
    const controller = new AbortController();
    let runningWhenCancelled = false;
    const logger = watching((text) => {
      if (!text.includes(`slow build started ${id}`)) return;
      runningWhenCancelled = processRunning(`slow build started ${id}`);
      controller.abort();
    });
    const started = Date.now();
    const error = await caught(async () => distribution.build(await distribution.plan(dir), { logger, signal: controller.signal }));
    expect(error.code).toBe("COMMAND_CANCELLED");
    expect(runningWhenCancelled, "the builder was running when the build was cancelled").toBe(true);
    expect(Date.now() - started, "time from start to cancelled").toBeLessThan(20_000);
    expect(await waitUntil(() => !processRunning(`slow build started ${id}`), 10_000), "the builder stopped after the cancel").toBe(true);
  });

  it("stops at hop3.toml [nix] timeout with NIX_BUILD_TIMEOUT carrying the log tail", async () => {
    const id = nonce();
    const dir = makeApp({
      "hop3.nix": derivationNix(`echo "waiting ${id}"; sleep 60; ${WRITE_RUNTIME_JSON}`, id),
      "hop3.toml": "[nix]\ntimeout = 1\n",
    });
    const started = Date.now();
    let runningBeforeTimeout = false;
    const logger = watching((text) => text.includes(`waiting ${id}`) && (runningBeforeTimeout = processRunning(`waiting ${id}`)));
    const error = await caught(async () => distribution.build(await distribution.plan(dir), { logger }));
    expect(runningBeforeTimeout, "the builder was running before the time limit").toBe(true);
    expect(error.code).toBe("NIX_BUILD_TIMEOUT");
    expect(error.message).toContain("after 1 s");
    expect(error.message).toContain(`waiting ${id}`);
    expect(error.hint).toContain("timeout");
    expect(Date.now() - started, "time from start to stopped").toBeLessThan(15_000);
    expect(await waitUntil(() => !processRunning(`waiting ${id}`), 10_000), "the builder stopped at the time limit").toBe(true);
  });

  it("stops at the builder's timeoutSeconds option too", async () => {
    const dir = makeApp({ "hop3.nix": derivationNix(`sleep 60; ${WRITE_RUNTIME_JSON}`) });
    const quick = createDistribution({ plugins: [nixPlugin({ timeoutSeconds: 0.5 })], env });
    expect((await caught(async () => quick.build(await quick.plan(dir)))).code).toBe("NIX_BUILD_TIMEOUT");
  });

  it("passes hop3.toml [nix] options to nix (nix's own timeout setting)", async () => {
    const dir = makeApp({
      "hop3.nix": derivationNix(`sleep 60; ${WRITE_RUNTIME_JSON}`),
      "hop3.toml": '[nix]\noptions = { timeout = "1" }\n',
    });
    const error = await caught(async () => distribution.build(await distribution.plan(dir)));
    expect(error.code).toBe("NIX_BUILD_TIMEOUT");
    expect(error.message).toContain("timed out after 1 seconds");
  });
});

describe("a runtime.json with a key the specification does not define", () => {
  it("builds, and the build's log warns that the key is ignored", async () => {
    const script = `mkdir -p $out/hop3; echo '{"workers": {"web": "sleep 1000"}, "version": 2}' > $out/hop3/runtime.json`;
    const dir = makeApp({ "hop3.nix": derivationNix(script) }, "extra-key-app");
    const logger = createMemoryLogger();
    const artifact = await distribution.build(await distribution.plan(dir), { logger });
    expect(artifact.runtime.workers).toEqual({ web: "sleep 1000" });
    expect(logger.entries.filter((e) => e.level === "warn").map((e) => e.text)).toEqual([
      `${join(artifact.location, "hop3", "runtime.json")} has a key Hop3 does not know, "version" (runtime.json holds workers, env and path): it is ignored.`,
    ]);
  });
});
