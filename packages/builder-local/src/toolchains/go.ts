import { join } from "node:path";
import type { LanguageToolchain, ToolchainBuildContext, ToolchainContribution } from "@hop3/core";
import { cacheOf } from "../cache.js";
import { detectByFiles, requireTool, runStep } from "./shared.js";

const INSTALL_GO = "Install Go: on Debian or Ubuntu `apt-get install golang-go`, or from https://go.dev/dl.";

/**
 * Go: `go build -o bin/<app> .` in the release, and `web: bin/<app>` unless the app names its
 * workers. Go's build and module caches are the app's own, in `<app>/cache/go` (never shared with
 * another app, whose builds could poison them), unless the build's environment sets them.
 */
export function createGoToolchain(): LanguageToolchain {
  return {
    apiVersion: 1,
    name: "go",
    description: "Go modules: go build into the release's bin/",
    priority: 30,
    detect: (app) => detectByFiles(app, "go", ["go.mod"]),
    build: buildGo,
  };
}

async function buildGo(context: ToolchainBuildContext): Promise<ToolchainContribution> {
  const go = requireTool("go", context, "go", INSTALL_GO);
  const cache = cacheOf(context, "go");
  const env: Record<string, string> = {};
  if (!context.env.GOCACHE) env.GOCACHE = cache.entry("go", "build");
  if (!context.env.GOPATH) env.GOPATH = cache.entry("go", "path");
  if (!context.env.GOMODCACHE) env.GOMODCACHE = cache.entry("go", "mod");
  const binary = `bin/${context.app.name}`;
  await runStep(context, "LOCAL_BUILD_FAILED", "go build", go, ["build", "-o", binary, "."], { env });
  return { path: [join(context.buildDir, "bin")], workers: { web: binary } };
}
