import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { createCli } from "@hop3/cli-kit";
import { createDistribution, isDirectory } from "@hop3/core";
import { nixPlugin, validateNixApps } from "@hop3/builder-nix";
import { FIXTURES, readExpect, tempDir } from "./helpers.js";

const env = { ...process.env, HOP3_HOME: tempDir("hop3-home-") };

/** Collects what a command writes. */
const sink = () => {
  const chunks: string[] = [];
  return { write: (text: string) => chunks.push(text), text: () => chunks.join("") };
};

describe("validateNixApps", () => {
  it("passes every fixture app, printing the store paths when verbose, and exits 0", async () => {
    const output = sink();
    const report = await validateNixApps({ root: join(FIXTURES, "apps"), verbose: true, output, env });
    const names = readdirSync(join(FIXTURES, "apps")).sort();
    expect(report.results.map((r) => r.name)).toEqual(names);
    expect(report.results.filter((r) => !r.passed)).toEqual([]);
    expect(report).toMatchObject({ passed: names.length, failed: 0, exitCode: 0 });
    for (const name of names) expect(output.text()).toMatch(new RegExp(`^PASS ${name}\\n  /nix/store/[0-9a-z]{32}-\\S+$`, "m"));
    expect(output.text()).toContain(`${names.length} passed, 0 failed`);
  });

  it("fails every broken fixture with its code and nix's error line, and exits 1", async () => {
    const output = sink();
    const report = await validateNixApps({ root: join(FIXTURES, "broken"), output, env });
    const names = readdirSync(join(FIXTURES, "broken")).filter((name) => isDirectory(join(FIXTURES, "broken", name))).sort();
    expect(report).toMatchObject({ passed: 0, failed: names.length, exitCode: 1 });
    for (const result of report.results) {
      const expected = readExpect<{ code: string; message: string }>(result.dir);
      expect(result.passed).toBe(false);
      if (!result.passed) {
        expect(result.code).toBe(expected.code);
        expect(result.message).toContain(expected.message);
      }
    }
    expect(output.text()).toContain("FAIL nix-syntax-error: error: syntax error, unexpected ';' [NIX_SYNTAX_ERROR]\n");
    expect(output.text()).toContain("FAIL nix-undefined-variable: error: undefined variable 'thisVariableIsNotDefined' [NIX_EVALUATION_ERROR]\n");
    expect(output.text()).toMatch(/^FAIL nix-builder-fails: error: builder for '\/nix\/store\/\S+-nix-builder-fails\.drv' failed with exit code 1 \[NIX_BUILD_FAILED\]$/m);
  });

  it("validates one app with app, and reports a missing one as a failure", async () => {
    const one = await validateNixApps({ root: join(FIXTURES, "apps"), app: "spec-go", env });
    expect(one.results).toHaveLength(1);
    expect(one.results[0]).toMatchObject({ name: "spec-go", passed: true });
    const missing = await validateNixApps({ root: join(FIXTURES, "apps"), app: "no-such-app", env });
    expect(missing.results[0]).toMatchObject({ passed: false, code: "APP_DIR_NOT_FOUND" });
    expect(missing.exitCode).toBe(1);
  });

  it("exits 1 when there is no Nix app under the folder", async () => {
    const output = sink();
    const report = await validateNixApps({ root: tempDir(), output, env });
    expect(report.exitCode).toBe(1);
    expect(output.text()).toContain("No Nix app");
  });
});

describe("hop3 nix validate", () => {
  // Run as a program runs it: the shell of @hop3/cli-kit over a distribution with the plugin.
  const cli = createCli(createDistribution({ plugins: [nixPlugin()], env }), { name: "hop3", version: "0.0.0", pluginsFrom: false });
  const run = async (argv: string[]) => {
    const stdout = sink();
    const stderr = sink();
    const code = await cli.run(["nix", "validate", ...argv], { cwd: FIXTURES, env, stdout, stderr, signal: new AbortController().signal });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  };

  it("validates DIR relative to the current directory, one app with --app, verbose with --verbose", async () => {
    const result = await run(["broken", "--app", "nix-builder-fails", "--verbose"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("FAIL nix-builder-fails: error: builder for");
    expect(result.stdout).toContain("compilation went wrong");
    expect(result.stdout).toContain("hint: ");
    // The build is a step on stderr, with its output folded under it.
    expect(result.stderr).toContain("build nix-builder-fails: failed");
    const one = await run(["apps", "--app", "nix-static"]);
    expect(one.stdout).toBe("PASS nix-static\n\n1 passed, 0 failed\n");
    expect(one.stderr).toMatch(/^build nix-static: started\n[^]*build nix-static: done in [\d.]+s {2}\/nix\/store\/[0-9a-z]{32}-nix-static\n$/);
  });

  it("gives the whole report as one JSON object with --json", async () => {
    const result = await run(["broken", "--json"]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    const brokenCount = readdirSync(join(FIXTURES, "broken")).filter((name) => isDirectory(join(FIXTURES, "broken", name))).length;
    expect(report).toMatchObject({ root: join(FIXTURES, "broken"), passed: 0, failed: brokenCount, exitCode: 1 });
    expect(report.results.find((r: { name: string }) => r.name === "nix-syntax-error")).toMatchObject({ passed: false, code: "NIX_SYNTAX_ERROR" });

    const passed = await run(["apps", "--app", "nix-web", "--json"]);
    expect(passed.code).toBe(0);
    expect(JSON.parse(passed.stdout).results[0]).toMatchObject({ name: "nix-web", passed: true, artifact: { kind: "nix", builder: "nix" } });
  });

  it("gives a user error as JSON with --json, and no stack trace", async () => {
    const missing = await run(["no-such-dir", "--json"]);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).error).toMatchObject({ code: "APP_DIR_NOT_FOUND", message: `${join(FIXTURES, "no-such-dir")} is not a directory.` });
    expect(missing.stderr).toBe(
      `error[APP_DIR_NOT_FOUND]: ${join(FIXTURES, "no-such-dir")} is not a directory.\nhint: Pass the path of a directory that holds your app (its hop3.toml, Procfile, hop3.nix or sources).\n`,
    );
  });
});

describe("pnpm nix:validate", () => {
  const REPO = resolve(FIXTURES, "..");
  const script = (...argv: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile("pnpm", ["-s", "nix:validate", ...argv], { cwd: REPO, env: { ...env, NO_COLOR: "1", HOP3_PLUGINS: "" }, timeout: 120_000 }, (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
      );
    });

  it("is `hop3 nix validate` of this checkout, --json included, with a coded error and no stack trace for a user error", async () => {
    const ok = await script("test-fixtures/apps", "--app", "nix-web", "--verbose");
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^PASS nix-web\n {2}\/nix\/store\/[0-9a-z]{32}-nix-web\n/);

    const json = await script("test-fixtures/apps", "--app", "nix-web", "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({ passed: 1, failed: 0, exitCode: 0 });

    const missing = await script("no-such-dir");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `error[APP_DIR_NOT_FOUND]: ${join(REPO, "no-such-dir")} is not a directory.\nhint: Pass the path of a directory that holds your app (its hop3.toml, Procfile, hop3.nix or sources).\n`,
    );
  });
});
