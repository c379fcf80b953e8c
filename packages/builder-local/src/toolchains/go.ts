import { join } from "node:path";
import type { LanguageToolchain, ToolchainBuildContext, ToolchainContribution } from "@hop3/core";
import { detectByFiles, requireTool, runStep } from "./shared.js";

const INSTALL_GO = "Install Go: on Debian or Ubuntu `apt-get install golang-go`, or from https://go.dev/dl.";

/**
 * Go: `go build -o bin/<app> .` in the release, and `web: bin/<app>` unless the app names its
 * workers. Go's build and module caches live under HOP3_HOME (shared by the apps), unless the
 * environment sets them: a service account often has no HOME for Go to default to.
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
  const cache = join(context.home, "cache", "go");
  const env: Record<string, string> = {};
  if (!context.env.GOCACHE) env.GOCACHE = join(cache, "build");
  if (!context.env.GOPATH) env.GOPATH = join(cache, "path");
  if (!context.env.GOMODCACHE) env.GOMODCACHE = join(cache, "mod");
  const binary = `bin/${context.app.name}`;
  await runStep(context, "LOCAL_BUILD_FAILED", "go build", go, ["build", "-o", binary, "."], { env });
  return { path: [join(context.buildDir, "bin")], workers: { web: binary } };
}
