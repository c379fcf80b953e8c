import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createDistribution, createMemoryLogger, findProgram } from "@hop3/core";
import { localBuilderPlugin } from "../src/index.js";
import { removeTempHomes, tempHome } from "./helpers.js";

// What the go toolchain builds, with the real go: a binary only from a main.go, `go mod download`
// only with a go.mod, and `[build] build` in place of `go build`.
const home = tempHome("h3go-");
const apps = mkdtempSync(join(home, "src-"));
const distribution = createDistribution({ plugins: [localBuilderPlugin()], env: { ...process.env, HOP3_HOME: home } });
afterAll(removeTempHomes);
/** The directory of the go the build uses, which the workers get on their PATH. */
const goDir = dirname(findProgram("go", process.env) ?? "/usr/bin/go");

const MAIN = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n';

function app(name: string, files: Record<string, string>): string {
  const dir = join(apps, name);
  mkdirSync(dir);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

async function build(dir: string) {
  const logger = createMemoryLogger();
  const artifact = await distribution.build(await distribution.plan(dir), { logger });
  return { artifact, log: logger.entries.map((entry) => entry.text).join("\n") };
}

describe("the go toolchain", () => {
  it("builds no binary without a main.go: the Procfile's `go run` runs the app, with go and its caches", async () => {
    const { artifact, log } = await build(app("gorun", { "server.go": MAIN, Procfile: "web: go run server.go\n" }));
    expect(artifact.kind).toBe("go");
    expect(artifact.runtime.workers).toEqual({ web: "go run server.go" });
    expect(existsSync(join(artifact.location, "bin"))).toBe(false);
    expect(log).not.toContain("module dependencies"); // go mod download's own words
    expect(log).toContain("No main.go: nothing to build");
    const cache = join(home, "apps", "gorun", "cache", "go");
    expect(artifact.runtime.env).toMatchObject({ GOCACHE: join(cache, "build"), GOPATH: join(cache, "path"), GOMODCACHE: join(cache, "mod") });
    expect(artifact.runtime.path).toEqual([goDir]);
  });

  it("builds bin/<app> from a main.go without a go.mod, and offers it as the web worker", async () => {
    const { artifact } = await build(app("gomain", { "main.go": MAIN, "util.go": "package main\n", "main_test.go": "package main\n" }));
    expect(artifact.runtime.workers).toEqual({ web: "bin/gomain" });
    expect(existsSync(join(artifact.location, "bin", "gomain"))).toBe(true);
    expect(artifact.runtime.path).toEqual([join(artifact.location, "bin"), goDir]);
  });

  it("downloads the modules of a go.mod, and builds nothing without a main.go", async () => {
    const dir = app("gomod", { "go.mod": "module gomod\n\ngo 1.19\n", "server.go": MAIN, Procfile: "web: go run .\n" });
    const { artifact, log } = await build(dir);
    expect(log).toContain("go: no module dependencies to download");
    expect(existsSync(join(artifact.location, "bin"))).toBe(false);
    expect(artifact.runtime.workers).toEqual({ web: "go run ." });
  });

  it("runs hop3.toml [build] build in place of go build", async () => {
    const toml = '[build]\nbuild = "go build -o server ."\n\n[run]\nstart = "./server"\n';
    const { artifact, log } = await build(app("gobuild", { "go.mod": "module gobuild\n\ngo 1.19\n", "main.go": MAIN, "hop3.toml": toml }));
    expect(log).toContain("[build] build is set: it replaces `go build`");
    expect(existsSync(join(artifact.location, "server"))).toBe(true);
    expect(existsSync(join(artifact.location, "bin"))).toBe(false);
    expect(artifact.runtime.workers).toEqual({ web: "./server" });
  });
});
