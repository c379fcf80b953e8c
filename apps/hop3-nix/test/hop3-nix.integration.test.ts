import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort, httpGet, processesUnder } from "@hop3/test-support";

// The real `hop3-nix` program, from source, against the real nix-build, uWSGI emperor and nginx.
const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url));
const tsx = import.meta.resolve("tsx");
const fixtures = resolve(import.meta.dirname, "../../../test-fixtures");
const home = mkdtempSync(join(tmpdir(), "hop3-nix-e2e-"));
let env: Record<string, string> = {};
let port = 0;

function hop3Nix(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ["--import", tsx, "--conditions=@hop3/source", bin, ...args],
      { env: { ...process.env, ...env, NO_COLOR: "1" }, timeout: 120_000 },
      (error, stdout, stderr) => done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  port = await freePort();
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port), NIX_CONFIG: "substituters =\n", HOP3_PLUGINS: "" };
});

afterAll(async () => {
  await hop3Nix("server", "stop");
  expect(processesUnder(home)).toEqual([]);
  rmSync(home, { recursive: true, force: true });
});

it("answers --version and --help under its own name", async () => {
  const version = await hop3Nix("--version");
  expect(version.stdout).toMatch(/^hop3-nix \d+\.\d+\.\d+\n$/);
  expect((await hop3Nix("--help")).stdout).toContain("hop3-nix plan [DIR]");
});

it("has the Nix builder only, the uWSGI and static deployers and the nginx router", async () => {
  const result = await hop3Nix("plugins", "--json");
  expect(result.code, result.stderr).toBe(0);
  const data = JSON.parse(result.stdout);
  expect(data.plugins.map((p: { name: string }) => p.name)).toEqual(["@hop3/builder-nix", "@hop3/deployer-uwsgi", "@hop3/deployer-static", "@hop3/router-nginx"]);
  expect(data.builders).toEqual([{ name: "nix", order: 1, priority: 10, usesToolchains: false }]);
  expect(data.routers).toEqual([{ name: "nginx" }]);
});

it("refuses an app only the Local builder could build", async () => {
  const result = await hop3Nix("plan", join(fixtures, "local-apps/node-no-deps"));
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("error[BUILDER_NONE_ACCEPTED]");
  expect(result.stderr).toContain("nix: no hop3.nix");
  expect(result.stderr).toContain("hint: Add what one of the builders looks for: a hop3.nix (nix). Or name a builder");
});

it("deploys a Nix static app and serves it through nginx", async () => {
  const result = await hop3Nix("deploy", join(fixtures, "apps/nix-static"));
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout.trim().split("\n").at(-1)).toBe(`nix-static is live: http://nix-static.localhost:${port}/`);
  expect((await httpGet(port, "nix-static.localhost")).body).toContain("hello from nix-static");
});

it("validates Nix apps with the plugin's command, --json included", async () => {
  const result = await hop3Nix("nix", "validate", join(fixtures, "apps"), "--app", "nix-static", "--json");
  expect(result.code, result.stderr).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ passed: 1, failed: 0, results: [{ name: "nix-static", passed: true }] });
  expect((await hop3Nix("nix", "validate", "--help")).stdout).toContain("usage: hop3-nix nix validate [DIR] [--app NAME] [--verbose]");
});
