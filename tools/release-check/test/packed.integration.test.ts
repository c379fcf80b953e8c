import { execFile, execFileSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, httpGet, processesUnder } from "@hop3/test-support";
import { publishedPackages, ROOT } from "../src/index.js";

// What a user gets from the registry: every published package packed with `pnpm pack`, installed
// with npm into an empty directory outside the repository (no workspace, no source condition),
// then run: `hop3`, the Nix-only `hop3-nix`, and the example third-party plugin named in Hop3's config
// file (installed in the project, found from where the distribution is installed).
const THIRD_PARTY = "test-fixtures/plugins/hop3-plugin-markdown";
const work = mkdtempSync(join(tmpdir(), "hop3-packed-"));
// HOP3_HOME lives inside: as root, each app's user must pass through to reach its own files.
chmodSync(work, 0o711);
const tarballs = join(work, "tarballs");
const project = join(work, "project");
const home = join(work, "home");
let port = 0;
let env: Record<string, string> = {};

function run(file: string, args: readonly string[], options: { cwd: string; timeout?: number; env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(file, args, { cwd: options.cwd, env: { ...options.env }, timeout: options.timeout ?? 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** A program installed in the project, run as a user would: `npx NAME ...` from the project. */
const npx = (...args: string[]) => run("npx", ["--no-install", ...args], { cwd: project, env });

beforeAll(async () => {
  port = await freePort();
  // The environment of a user's shell: no NODE_OPTIONS or conditions leaking from vitest.
  env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? work,
    XDG_CONFIG_HOME: join(work, "config"),
    HOP3_HOME: home,
    HOP3_HTTP_PORT: String(port),
    NIX_CONFIG: "substituters =\n",
    NO_COLOR: "1",
    npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? work, ".npm"),
    npm_config_update_notifier: "false",
  };

  // dist/ of every package, as `pnpm build` makes it (turbo replays it when nothing changed).
  execFileSync("pnpm", ["-s", "turbo", "run", "build", "--output-logs=errors-only"], { cwd: ROOT, stdio: "pipe", timeout: 300_000 });

  mkdirSync(tarballs);
  const packed = new Map<string, string>();
  for (const dir of [...publishedPackages().map((p) => p.dir), THIRD_PARTY]) {
    const before = new Set(readdirSync(tarballs));
    execFileSync("pnpm", ["pack", "--pack-destination", tarballs], { cwd: join(ROOT, dir), stdio: "pipe", timeout: 60_000 });
    const tarball = readdirSync(tarballs).find((file) => !before.has(file))!;
    const name = JSON.parse(execFileSync("tar", ["-xzOf", join(tarballs, tarball), "package/package.json"], { encoding: "utf8" })).name as string;
    packed.set(name, `file:${join(tarballs, tarball)}`);
  }

  // Every @hop3/* name, direct or not, is pinned to its tarball: npm never asks the registry for them.
  mkdirSync(project);
  const dependencies = Object.fromEntries(packed);
  writeFileSync(
    join(project, "package.json"),
    `${JSON.stringify({ name: "packed-site", private: true, dependencies, overrides: dependencies }, null, 2)}\n`,
  );
  // The operator names the plugin in Hop3's config file: a project's package.json names none.
  mkdirSync(join(work, "config", "hop3"), { recursive: true });
  writeFileSync(join(work, "config", "hop3", "config.json"), `${JSON.stringify({ plugins: ["hop3-plugin-markdown"] }, null, 2)}\n`);
  const install = await run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: project, env, timeout: 600_000 });
  if (install.code !== 0) throw new Error(`npm install failed:\n${install.stderr}`);

  // Apps the user deploys: copies, outside the repository.
  cpSync(join(ROOT, "test-fixtures/apps/nix-static"), join(project, "nix-static"), { recursive: true });
  cpSync(join(ROOT, "test-fixtures/plugin-apps/markdown-handbook"), join(project, "handbook"), { recursive: true });
}, 900_000);

afterAll(async () => {
  if (existsSync(join(project, "node_modules/.bin/hop3"))) await npx("hop3", "server", "stop");
  expect(processesUnder(home)).toEqual([]);
  rmSync(work, { recursive: true, force: true });
}, 120_000);

describe.sequential("packed packages, installed with npm outside the repository", () => {
  it("installs outside the repository, with one copy of @hop3/core", () => {
    expect(relative(ROOT, project).startsWith("..")).toBe(true);
    const cores = execFileSync("find", ["node_modules", "-path", "*/@hop3/core/package.json"], { cwd: project, encoding: "utf8" }).trim().split("\n");
    expect(cores).toEqual(["node_modules/@hop3/core/package.json"]);
  });

  it("npx hop3 --version", async () => {
    const result = await npx("hop3", "--version");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^hop3 \d+\.\d+\.\d+\n$/);
  });

  it("npx hop3 plugins: the default distribution plus the third-party plugin from Hop3's config file", async () => {
    const result = await npx("hop3", "plugins", "--json");
    expect(result.code, result.stderr).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data.plugins.at(-1)).toMatchObject({ name: "hop3-plugin-markdown", origin: `${join(work, "config", "hop3", "config.json")} (plugins)` });
    expect(data.builders.map((b: { name: string }) => b.name)).toEqual(["nix", "docker", "markdown", "local"]);
  });

  it("npx hop3 plan on a Nix fixture", async () => {
    const result = await npx("hop3", "plan", "nix-static", "--json");
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ app: "nix-static", builder: { name: "nix", reason: "hop3.nix found" } });
  });

  it("npx hop3 deploy of a static Nix fixture, served through nginx", async () => {
    const result = await npx("hop3", "deploy", "nix-static");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split("\n").at(-1)).toBe(`nix-static is live: http://nix-static.localhost:${port}/`);
    expect((await httpGet(port, "nix-static.localhost")).body).toContain("hello from nix-static");
  });

  it("npx hop3 deploy of a Markdown site, built by the third-party plugin and served by the static deployer", async () => {
    const result = await npx("hop3", "deploy", "handbook", "--json");
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ app: "handbook", builder: "markdown", artifact: { kind: "static" } });
    const page = await httpGet(port, "handbook.localhost");
    expect(page.status).toBe(200);
    expect(page.body).toContain("<h1>Handbook</h1>");
    expect((await httpGet(port, "handbook.localhost", "/guide/start.html")).body).toContain("<h1>Getting started</h1>");
  });

  it("npx hop3-nix, the example distribution: its own name, the Nix builder only, and the same run-time plugins", async () => {
    const version = await npx("hop3-nix", "--version");
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/^hop3-nix \d+\.\d+\.\d+\n$/);
    const plugins = JSON.parse((await npx("hop3-nix", "plugins", "--json")).stdout);
    expect(plugins.builders.map((b: { name: string }) => b.name)).toEqual(["nix", "markdown"]);
    const plan = await npx("hop3-nix", "plan", "nix-static", "--json");
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).builder.name).toBe("nix");
  });

  it("a missing plugin is a coded error naming it", async () => {
    const result = await run("npx", ["--no-install", "hop3", "plan", "nix-static"], { cwd: project, env: { ...env, HOP3_PLUGINS: "hop3-plugin-nowhere" } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error[PLUGIN_NOT_FOUND]: Plugin package "hop3-plugin-nowhere" (from HOP3_PLUGINS) is not installed');
  });
});
