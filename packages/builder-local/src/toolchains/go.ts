import { readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { AppSource, Detection, LanguageToolchain, ToolchainBuildContext, ToolchainContribution } from "@hop3/core";
import { cacheOf } from "../cache.js";
import { isFile, requireTool, runStep } from "./shared.js";

const INSTALL_GO = "Install Go: on Debian or Ubuntu `apt-get install golang-go`, or from https://go.dev/dl.";
/** How many `.go` files a detection names before it counts the rest. */
const NAMED_GO_FILES = 3;

/**
 * Go, as the original Hop3 detects and builds it: an app with a `go.mod`, a `Godeps/` folder or
 * any `.go` file at its root. `go mod download` runs when there is a go.mod; a binary is built into
 * `bin/<app>` (offered as `web: bin/<app>`) only when there is a `main.go`; otherwise the Procfile
 * does the work (`web: go run server.go`). Go's build and module caches are the app's own, in
 * `<app>/cache/go` (never shared with another app, whose builds could poison them), for the build
 * and for the workers, unless the environment sets them; the workers find the `go` the build used.
 */
export function createGoToolchain(): LanguageToolchain {
  return {
    apiVersion: 1,
    name: "go",
    programs: [{ name: "go", install: INSTALL_GO }],
    description: "Go: go mod download, go build of main.go into the release's bin/",
    priority: 30,
    detect: detectGo,
    build: buildGo,
  };
}

/** hop3.toml `[build] toolchain` wins, as in detectByFiles; else go.mod, Godeps/ or a root `.go` file. */
function detectGo(app: AppSource): Detection {
  const named = app.config.toolchain;
  if (named !== undefined && named !== "go") return { detected: false, files: [], reason: `hop3.toml [build] toolchain is "${named}"` };
  const files = goMarkers(app.dir);
  if (named === "go") return { detected: true, files, reason: `named by hop3.toml [build] toolchain${files.length ? ` (${describe(files)} found)` : ""}` };
  if (files.length > 0) return { detected: true, files, reason: `${describe(files)} found` };
  return { detected: false, files: [], reason: "no go.mod, Godeps/ or *.go file" };
}

/** What marks a Go app, relative to its root: go.mod, Godeps/, then the `.go` files, sorted. */
function goMarkers(dir: string): string[] {
  const markers: string[] = [];
  if (isFile(join(dir, "go.mod"))) markers.push("go.mod");
  if (isDirectory(join(dir, "Godeps"))) markers.push("Godeps/");
  return [...markers, ...goFiles(dir)];
}

/** The `.go` files at the root of `dir`, sorted. */
function goFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((name) => name.endsWith(".go") && isFile(join(dir, name))).sort();
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function describe(files: readonly string[]): string {
  if (files.length <= NAMED_GO_FILES) return files.join(" and ");
  return `${files.slice(0, NAMED_GO_FILES).join(", ")} and ${files.length - NAMED_GO_FILES} more`;
}

async function buildGo(context: ToolchainBuildContext): Promise<ToolchainContribution> {
  const { buildDir, app, logger } = context;
  const go = requireTool("go", context, "go", INSTALL_GO);
  const cache = cacheOf(context, "go");
  const env: Record<string, string> = {};
  if (!context.env.GOCACHE) env.GOCACHE = cache.entry("go", "build");
  if (!context.env.GOPATH) env.GOPATH = cache.entry("go", "path");
  if (!context.env.GOMODCACHE) env.GOMODCACHE = cache.entry("go", "mod");
  // The workers run `go` too (`go run server.go`): the same one, with the same caches.
  const contribution = { env, path: [dirname(go)] };

  const hasModule = isFile(join(buildDir, "go.mod"));
  if (hasModule) await runStep(context, "LOCAL_INSTALL_FAILED", "go mod download", go, ["mod", "download"], { env });
  if (!isFile(join(buildDir, "main.go"))) {
    logger.info("No main.go: nothing to build, the Procfile's workers run the app (e.g. `go run server.go`).");
    return contribution;
  }
  if (app.config.build.commands.length > 0) {
    logger.info("hop3.toml [build] build is set: it replaces `go build`.");
    return contribution;
  }
  const binary = `bin/${app.name}`;
  // Without a go.mod there is no module to name: the package is the root's .go files (`./`: never a flag).
  const sources = hasModule ? ["."] : goFiles(buildDir).filter((name) => !name.endsWith("_test.go")).map((name) => `./${name}`);
  await runStep(context, "LOCAL_BUILD_FAILED", "go build", go, ["build", "-o", binary, ...sources], { env });
  return { env, path: [join(buildDir, "bin"), ...contribution.path], workers: { web: binary } };
}
