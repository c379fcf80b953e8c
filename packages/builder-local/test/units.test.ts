import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createDistribution, normalizeConfig, type AppSource } from "@hop3/core";
import {
  addContribution,
  artifactKind,
  buildCommandEnv,
  builtinToolchains,
  chooseInstaller,
  compileIgnorePattern,
  copySources,
  createIgnoreFilter,
  emptyContribution,
  hasNothingToInstall,
  isEmptyRequirements,
  localBuilderPlugin,
  localErrorCatalog,
  packageIndexEnv,
  refersToLocalFiles,
  releaseDirMode,
  releaseFileMode,
  resolveWorkers,
} from "../src/index.js";
import { FIXTURES } from "./helpers.js";

const scratch = mkdtempSync(join(tmpdir(), "h3lu-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const appWith = (files: Record<string, string>, toml: Parameters<typeof normalizeConfig>[0] = {}, procfile: Parameters<typeof normalizeConfig>[1] = { entries: [] }): AppSource => {
  const dir = mkdtempSync(join(scratch, "app-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return { dir, name: "app", config: normalizeConfig(toml, procfile) };
};

describe("detection", () => {
  const toolchains = builtinToolchains();
  const detected = async (app: AppSource) => {
    const out: Record<string, string> = {};
    for (const t of toolchains) {
      const d = await t.detect(app);
      if (d.detected) out[t.name] = d.reason;
    }
    return out;
  };

  it("says which file matched", async () => {
    expect(await detected(appWith({ "requirements.txt": "" }))).toEqual({ python: "requirements.txt found" });
    expect(await detected(appWith({ "pyproject.toml": "" }))).toEqual({ python: "pyproject.toml found" });
    expect(await detected(appWith({ "package.json": "{}", "requirements.txt": "" }))).toEqual({ python: "requirements.txt found", node: "package.json found" });
    expect(await detected(appWith({ "go.mod": "module x" }))).toEqual({ go: "go.mod found" });
    expect(await detected(appWith({ Gemfile: "" }))).toEqual({ ruby: "Gemfile found" });
    expect(await detected(appWith({}, {}, { entries: [{ name: "static", command: "public", kind: "static" } as never] }))).toEqual({ static: "static worker serves public/" });
    expect(await detected(appWith({ "README": "" }))).toEqual({});
  });

  it("go: a go.mod, a Godeps/ folder or any .go file at the root, as upstream", async () => {
    expect(await detected(appWith({ "go.mod": "module x", "main.go": "" }))).toEqual({ go: "go.mod and main.go found" });
    expect(await detected(appWith({ "Godeps/Godeps.json": "{}" }))).toEqual({ go: "Godeps/ found" });
    expect(await detected(appWith({ "server.go": "", Procfile: "web: go run server.go" }))).toEqual({ go: "server.go found" });
    expect(await detected(appWith({ "a.go": "", "b.go": "", "c.go": "", "d.go": "" }))).toEqual({ go: "a.go, b.go, c.go and 1 more found" });
    // Only the root counts, and a folder named like a file is not one.
    expect(await detected(appWith({ "cmd/tool/main.go": "", "Godeps": "", "x.go/readme": "" }))).toEqual({});
    const go = toolchains.find((t) => t.name === "go")!;
    expect(await go.detect(appWith({ "README": "" }))).toMatchObject({ detected: false, reason: "no go.mod, Godeps/ or *.go file" });
    expect(await go.detect(appWith({ "server.go": "" }, { build: { toolchain: "go" } } as never))).toMatchObject({ detected: true, files: ["server.go"], reason: "named by hop3.toml [build] toolchain (server.go found)" });
    expect(await go.detect(appWith({ "main.go": "" }, { build: { toolchain: "generic" } } as never))).toMatchObject({ detected: false });
  });

  it("a toolchain named in hop3.toml is the only one detected", async () => {
    expect(await detected(appWith({ "package.json": "{}" }, { build: { toolchain: "generic" } } as never))).toEqual({ generic: "named by hop3.toml [build] toolchain" });
    expect(Object.keys(await detected(appWith({ "package.json": "{}" }, { build: { toolchain: "python" } } as never)))).toEqual(["python"]);
  });

  it("hop3 plan shows the detections, and explains a refusal", async () => {
    const hop3 = createDistribution({ plugins: [localBuilderPlugin()], env: { ...process.env, HOP3_HOME: scratch } });
    const plan = await hop3.plan(join(FIXTURES, "python-node"));
    expect(plan.builder).toMatchObject({ name: "local", reason: "python: requirements.txt found; node: package.json found" });
    expect(plan.toolchains.map((t) => [t.name, t.files])).toEqual([["python", ["requirements.txt"]], ["node", ["package.json"]]]);
    await expect(hop3.plan(join(FIXTURES, "no-marker"))).rejects.toThrow(/no language toolchain detected \(checked python: no requirements.txt or pyproject.toml; node: no package.json/);
  });
});

describe("ignore patterns", () => {
  it.each([
    ["*.log", "a.log", false, true],
    ["*.log", "deep/b.log", false, true],
    ["/build", "build", true, true],
    ["/build", "src/build", true, false],
    ["docs/*.md", "docs/a.md", false, true],
    ["docs/*.md", "docs/sub/a.md", false, false],
    ["docs/**/*.md", "docs/sub/a.md", false, true],
    ["tmp/", "tmp", false, false],
    ["tmp/", "x/tmp", true, true],
    ["file?.txt", "file1.txt", false, true],
    ["a.b", "axb", false, false],
  ])("%s against %s (dir %s) -> %s", (pattern, path, isDir, matches) => {
    expect(compileIgnorePattern(pattern)(path, isDir)).toBe(matches);
  });

  it("copies the sources without VCS data, installs, virtualenvs and ignored files", () => {
    const app = appWith({ "app.py": "", ".git/HEAD": "", "node_modules/x/index.js": "", "venv/pyvenv.cfg": "", "lib/__pycache__/a.pyc": "", "notes.log": "", "keep/me.txt": "" });
    expect(createIgnoreFilter(app.dir, [])("venv", true)).toBe(true);
    const target = join(scratch, "release-1");
    expect(copySources(app.dir, target, ["*.log"])).toBe(2);
    expect(readdirSync(target).sort()).toEqual(["app.py", "keep", "lib"]);
    expect(readdirSync(join(target, "lib"))).toEqual([]);
    expect(readdirSync(scratch).some((n) => n.includes(".tmp-"))).toBe(false);
  });
});

describe("what the app's user gets", () => {
  it("modes in a release: never writable by others, no set-id bit, readable by the app's group", () => {
    expect(releaseFileMode(0o4777).toString(8)).toBe("755");
    expect(releaseFileMode(0o600).toString(8)).toBe("640");
    expect(releaseFileMode(0o444).toString(8)).toBe("644");
    expect(releaseDirMode(0o1777).toString(8)).toBe("755");
    expect(releaseDirMode(0o500).toString(8)).toBe("750");
  });
});

describe("merging what the toolchains contribute", () => {
  it("env: later wins and the clash is reported; PATH: in order, once", () => {
    let merged = addContribution(emptyContribution(), "python", { env: { A: "1", PYTHONUNBUFFERED: "1" }, path: ["/r/.venv/bin"] });
    merged = addContribution(merged, "node", { env: { A: "2" }, path: ["/r/node_modules/.bin", "/r/.venv/bin"], workers: { web: "npm start" } });
    expect(merged.env).toEqual({ A: "2", PYTHONUNBUFFERED: "1" });
    expect(merged.path).toEqual(["/r/.venv/bin", "/r/node_modules/.bin"]);
    expect(merged.conflicts).toEqual(["A (node overrides an earlier toolchain)"]);
    expect(() => addContribution(merged, "bad", { path: ["bin"] })).toThrow(/absolute/);
  });

  it("a build command sees the toolchains' PATH first, and hop3.toml [env] over the builder's env", () => {
    const env = buildCommandEnv({ PATH: "/usr/bin:/bin", X: "base" }, { X: "builder", Y: "builder" }, { Y: "app" }, { env: { Z: "tc" }, path: ["/r/bin", "/usr/bin"] });
    expect(env).toMatchObject({ PATH: "/r/bin:/usr/bin:/bin", X: "builder", Y: "app", Z: "tc" });
  });

  it("the app's workers win; a default web is not added next to another HTTP worker", () => {
    expect(resolveWorkers({ worker: "python w.py" }, { web: "npm start" })).toEqual({ worker: "python w.py", web: "npm start" });
    expect(resolveWorkers({ web: "python app.py" }, { web: "npm start" })).toEqual({ web: "python app.py" });
    expect(resolveWorkers({ wsgi: "app:app" }, { web: "npm start" })).toEqual({ wsgi: "app:app" });
  });

  it("kind", () => {
    expect(artifactKind({ static: "public" }, ["static"])).toBe("static");
    expect(artifactKind({ web: "x", static: "public" }, ["node", "static"])).toBe("node");
    expect(artifactKind({ web: "x" }, ["python", "node"])).toBe("multi-language");
    expect(artifactKind({ web: "x" }, ["generic"])).toBe("generic");
    expect(artifactKind({ web: "x" }, ["haskell"])).toBe("generic");
  });
});

describe("toolchain helpers", () => {
  it("python requirements", () => {
    expect(isEmptyRequirements("# nothing\n\n  \n")).toBe(true);
    expect(isEmptyRequirements("flask==3.0\n")).toBe(false);
    expect(refersToLocalFiles("-r base.txt\n")).toBe(true);
    expect(refersToLocalFiles("-e .\n")).toBe(true);
    expect(refersToLocalFiles("flask\n")).toBe(false);
  });

  it("node installer from the lockfile and the tools installed", () => {
    const npmOnly = { PATH: "/nonexistent" };
    expect(chooseInstaller(appWith({ "package-lock.json": "{}" }).dir, npmOnly)).toMatchObject({ tool: "npm", args: ["ci", "--no-audit", "--no-fund"] });
    expect(chooseInstaller(appWith({ "pnpm-lock.yaml": "" }).dir, npmOnly)).toMatchObject({ tool: "npm", args: ["install", "--no-audit", "--no-fund"] });
    expect(chooseInstaller(appWith({}).dir, npmOnly).tool).toBe("npm");
    expect(hasNothingToInstall({ scripts: { start: "node s.js" } })).toBe(true);
    expect(hasNothingToInstall({ dependencies: { ms: "1" } })).toBe(false);
    expect(hasNothingToInstall({ scripts: { postinstall: "x" } })).toBe(false);
  });
});

describe("plugin", () => {
  it("registers the builder at priority 30 and its toolchains", () => {
    const hop3 = createDistribution({ plugins: [localBuilderPlugin({ toolchains: ["python", "static"] })], env: { HOP3_HOME: scratch } });
    expect(hop3.registry.builders().map((b) => [b.name, b.priority, b.usesToolchains])).toEqual([["local", 30, true]]);
    expect(hop3.registry.toolchains().map((t) => t.name)).toEqual(["python", "static"]);
  });

  it("refuses bad options at once", () => {
    expect(() => localBuilderPlugin({ timeoutSeconds: -1 })).toThrow(expect.objectContaining({ code: "OPTIONS_INVALID" }));
    expect(() => localBuilderPlugin({ toolchains: ["cobol" as never] })).toThrow(expect.objectContaining({ code: "OPTIONS_INVALID" }));
  });

  it("every code has a docs page", async () => {
    const { existsSync, readFileSync } = await import("node:fs");
    for (const [code, info] of Object.entries(localErrorCatalog)) {
      const page = join(FIXTURES, "..", "..", "docs", "errors", `${code}.md`);
      expect(existsSync(page), page).toBe(true);
      const text = readFileSync(page, "utf8");
      expect(text.split("\n")[0]).toBe(`# ${code}`);
      expect(text.split("\n")[2]).toBe(info.title);
      expect(text).toContain(info.hint);
    }
  });
});

describe("packageIndexEnv", () => {
  it("passes on the package index settings of Hop3's environment, nothing else", () => {
    const hop3 = { PIP_INDEX_URL: "file:///opt/pypi/simple", PIP_FIND_LINKS: "/opt/wheels", PIP_NO_INDEX: "", HOP3_TOKEN: "secret", PATH: "/usr/bin" };
    expect(packageIndexEnv(hop3)).toEqual({ PIP_INDEX_URL: "file:///opt/pypi/simple", PIP_FIND_LINKS: "/opt/wheels" });
  });
});
