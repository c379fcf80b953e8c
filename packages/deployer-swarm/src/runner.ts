import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Hop3Error, silentLogger, type OperationContext } from "@hop3/core";
import { swarmError } from "./errors.js";
import { digest } from "./names.js";
import type { ResolvedSwarmOptions } from "./options.js";

/** hop3-run's source, shipped with the package (src/ and dist/ both sit one level below runner/). */
const RUNNER_SOURCE = fileURLToPath(new URL("../runner/main.go", import.meta.url));

/** Where the deployer keeps its own files under HOP3_HOME. */
export const swarmDir = (home: string): string => join(home, "swarm");

/**
 * hop3-run, built once per version of its source under `<home>/swarm/`: a static binary (no cgo),
 * so it runs in any image, FROM scratch included. Returns its path and its version (a digest of
 * the source, part of every image tag so a new hop3-run makes new images).
 */
export async function ensureRunner(options: ResolvedSwarmOptions, context: OperationContext): Promise<{ path: string; version: string }> {
  const version = digest(readFileSync(RUNNER_SOURCE, "utf8"));
  const dir = swarmDir(context.home);
  const path = join(dir, `hop3-run-${version}`);
  if (existsSync(path)) return { path, version };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const partial = `${path}.${process.pid}.tmp`;
  const env: Record<string, string | undefined> = { ...context.env, CGO_ENABLED: "0", GO111MODULE: "off", GOFLAGS: "" };
  if (!env.GOCACHE && !env.XDG_CACHE_HOME && !env.HOME) env.GOCACHE = join(dir, "go-cache");
  try {
    const done = await context.run(options.go, ["build", "-trimpath", "-ldflags=-s -w", "-o", partial, RUNNER_SOURCE], {
      env,
      extendEnv: false,
      allowFailure: true,
      timeoutMs: 300_000,
      signal: context.signal,
      logger: silentLogger,
      purpose: "building hop3-run",
    });
    if (done.exitCode !== 0) {
      throw swarmError("SWARM_RUNNER_BUILD_FAILED", `\`go build\` of hop3-run failed (exit code ${done.exitCode}):\n${done.lastLines.map((line) => `  ${line}`).join("\n")}`, {
        details: { lastLines: [...done.lastLines] },
      });
    }
  } catch (error) {
    rmSync(partial, { force: true });
    if (Hop3Error.is(error) && error.code === "COMMAND_NOT_FOUND") {
      throw swarmError("SWARM_RUNNER_BUILD_FAILED", `The Go compiler "${options.go}" is not installed.`, { cause: error });
    }
    throw error;
  }
  renameSync(partial, path);
  return { path, version };
}
