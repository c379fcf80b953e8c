import { execFile } from "node:child_process";
import { cpSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createDistribution, createMemoryLogger, findProgram, Hop3Error, isDirectory } from "@hop3/core";
import { nixPlugin } from "@hop3/builder-nix";
import { caught, FIXTURES, makeApp, NIXPKGS_STAND_IN, readExpect, tempDir } from "./helpers.js";

const execFileAsync = promisify(execFile);

// Real nix-build on every fixture, through the real pipeline (plan, then build).
const home = tempDir("hop3-home-");
const env = { ...process.env, HOP3_HOME: home };
const distribution = createDistribution({ plugins: [nixPlugin()], env });
const STORE_PATH = /^\/nix\/store\/([0-9a-df-np-sv-z]{32})-[^/]+$/;

interface AppExpect {
  kind: string;
  workers: string[];
  env: Record<string, string>;
  path: boolean;
}
interface BrokenExpect {
  code: string;
  message: string;
}

const apps = readdirSync(join(FIXTURES, "apps")).sort();
const broken = readdirSync(join(FIXTURES, "broken")).filter((name) => isDirectory(join(FIXTURES, "broken", name))).sort();

/** What the raw command prints for the same app (as root, in its own directory): the store path the builder must report. */
async function rawNixBuild(dir: string): Promise<string> {
  const { stdout } = await execFileAsync("nix-build", ["hop3.nix", "-A", "package", "--no-out-link"], { cwd: dir });
  return stdout.trim().split("\n").at(-1)!;
}

it("runs against the real nix-build (missing, it is a failure, not a skip)", () => {
  expect(findProgram("nix-build", process.env)).toBeDefined();
  expect(apps.length).toBeGreaterThanOrEqual(8);
  expect(broken.length).toBeGreaterThanOrEqual(8);
});

describe.each(apps)("fixture app %s", (name) => {
  const dir = join(FIXTURES, "apps", name);

  it("builds with the Nix builder into the artifact its expect.json describes", async () => {
    const expected = readExpect<AppExpect>(dir);
    const started = Date.now();
    const plan = await distribution.plan(dir);
    expect(plan.builder.name).toBe("nix");
    expect(plan.toolchains).toEqual([]);
    const artifact = await distribution.build(plan, { releaseId: `r-${name}`, logger: createMemoryLogger() });

    const storePath = await rawNixBuild(dir);
    const runtimeJson = JSON.parse(readFileSync(join(storePath, "hop3", "runtime.json"), "utf8"));
    expect(artifact.apiVersion).toBe(1);
    expect(artifact.kind).toBe(expected.kind);
    expect(artifact.location).toBe(storePath);
    expect(artifact.location).toMatch(STORE_PATH);
    expect(artifact.buildId).toBe(STORE_PATH.exec(storePath)![1]);
    expect(artifact.builder).toBe("nix");
    expect(artifact.appName).toBe(name);
    expect(new Date(artifact.builtAt).toISOString()).toBe(artifact.builtAt);
    expect(Date.parse(artifact.builtAt)).toBeGreaterThanOrEqual(started - 1000);
    expect(Date.parse(artifact.builtAt)).toBeLessThanOrEqual(Date.now());
    expect(Object.keys(artifact.runtime.workers).sort()).toEqual([...expected.workers].sort());
    expect(artifact.runtime.workers).toEqual(runtimeJson.workers);
    expect(artifact.runtime.env).toEqual(expected.env);
    expect(artifact.runtime.path).toEqual(runtimeJson.path ?? []);
    expect(artifact.runtime.path.length > 0).toBe(expected.path);
    expect(artifact.runtime.workingDir).toBe(storePath);
    // drv is known only when nix built the package in this run (see the lifecycle tests).
    const { drv, ...metadata } = artifact.metadata;
    expect(metadata).toEqual({ nixFile: join(dir, "hop3.nix"), storePath, gcRoot: join(home, "apps", name, "nix", "gcroots", `r-${name}`) });
    if (drv !== undefined) expect(drv).toMatch(new RegExp(`^/nix/store/[0-9a-z]{32}-${storePath.slice(44)}\\.drv$`));
    if (expected.kind === "static") expect(isDirectory(artifact.runtime.workers.static!)).toBe(true);
  });
});

describe.each(broken)("broken fixture %s", (name) => {
  const dir = join(FIXTURES, "broken", name);

  it("fails with the code and message of its expect.json", async () => {
    const expected = readExpect<BrokenExpect>(dir);
    const error = await caught(async () => distribution.build(await distribution.plan(dir), { releaseId: `r-${name}` }));
    expect(Hop3Error.is(error)).toBe(true);
    expect(error.code).toBe(expected.code);
    expect(error.message).toContain(expected.message);
    expect(error.hint).not.toBe("");
  });
});

describe("Nix errors outside the fixtures", () => {
  it("raises NIX_NOT_INSTALLED, with the install hint, when PATH has no nix-build", async () => {
    const noNix = createDistribution({ plugins: [nixPlugin()], env: { ...env, PATH: "/nonexistent:/usr/local/nowhere" } });
    const error = await caught(() => noNix.plan(join(FIXTURES, "apps", "nix-web")));
    expect(error.code).toBe("NIX_NOT_INSTALLED");
    expect(error.hint).toContain("apt-get install nix-bin");

    // A plan made where nix was found, built where it is not: the build checks again.
    const plan = await distribution.plan(join(FIXTURES, "apps", "nix-web"));
    expect((await caught(() => noNix.build(plan))).code).toBe("NIX_NOT_INSTALLED");
  });

  it("raises NIX_FILE_MISSING when hop3.toml asks for nix and there is no hop3.nix", async () => {
    const dir = makeApp({ "hop3.toml": '[build]\nbuilder = "nix"\n', "index.html": "hi" });
    const plan = await distribution.plan(dir);
    expect(plan.builder).toMatchObject({ name: "nix", explicit: true });
    const error = await caught(() => distribution.build(plan));
    expect(error.code).toBe("NIX_FILE_MISSING");
    expect(error.message).toContain(join(dir, "hop3.nix"));
  });

  it("raises NIX_OUTPUT_UNEXPECTED when package is a set that nix-build builds to nothing", async () => {
    const dir = makeApp({ "hop3.nix": "{ package = { a = 1; }; }\n" });
    const error = await caught(async () => distribution.build(await distribution.plan(dir)));
    expect(error.code).toBe("NIX_OUTPUT_UNEXPECTED");
    expect(error.message).toContain("printed no store path");
  });

  it("raises NIX_ENV_INVALID when env holds something other than strings", async () => {
    const dir = makeApp({ "hop3.nix": readFileSync(join(FIXTURES, "apps", "nix-static", "hop3.nix"), "utf8").replace("inherit package;", "inherit package; env = { PORT_HINT = 8000; };") });
    cpSync(join(FIXTURES, "apps", "nix-static", "public"), join(dir, "public"), { recursive: true });
    const error = await caught(async () => distribution.build(await distribution.plan(dir)));
    expect(error.code).toBe("NIX_ENV_INVALID");
    expect(error.message).toContain("PORT_HINT = 8000, which is not a string");
  });

  it("raises NIX_EVALUATION_ERROR with nix's line when env throws", async () => {
    const dir = makeApp({ "hop3.nix": readFileSync(join(FIXTURES, "apps", "nix-static", "hop3.nix"), "utf8").replace("inherit package;", 'inherit package; env = throw "no env today";') });
    cpSync(join(FIXTURES, "apps", "nix-static", "public"), join(dir, "public"), { recursive: true });
    const error = await caught(async () => distribution.build(await distribution.plan(dir)));
    expect(error.code).toBe("NIX_EVALUATION_ERROR");
    expect(error.message).toContain("error: no env today");
  });

  it("says how to provide <nixpkgs> when a spec example has no stand-in, and honours the user's NIX_PATH", async () => {
    const dir = join(tempDir(), "spec-static");
    cpSync(join(FIXTURES, "apps", "spec-static"), dir, { recursive: true });
    rmSync(join(dir, "hop3.toml"));
    const noPath = createDistribution({ plugins: [nixPlugin()], env: { ...env, NIX_PATH: "" } });
    const error = await caught(async () => noPath.build(await noPath.plan(dir)));
    expect(error.code).toBe("NIX_EVALUATION_ERROR");
    expect(error.message).toContain("error: file 'nixpkgs' was not found in the Nix search path");
    expect(error.hint).toContain("NIX_PATH");

    const withPath = createDistribution({ plugins: [nixPlugin()], env: { ...env, NIX_PATH: `nixpkgs=${NIXPKGS_STAND_IN}` } });
    const artifact = await withPath.build(await withPath.plan(dir));
    expect(artifact.kind).toBe("static");
  });
});
