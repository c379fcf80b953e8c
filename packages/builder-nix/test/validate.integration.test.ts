import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createDistribution, isDirectory, silentLogger } from "@hop3/core";
import { nixPlugin, validateNixApps } from "@hop3/builder-nix";
import { FIXTURES, readExpect, tempDir } from "./helpers.js";

const execFileAsync = promisify(execFile);
const env = { ...process.env, HOP3_HOME: tempDir("hop3-home-") };
const REPO = resolve(FIXTURES, "..");

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
  const command = createDistribution({ plugins: [nixPlugin()], env })
    .registry.cliCommands()
    .find((c) => c.name.join(" ") === "nix validate")!;
  const run = async (argv: string[]) => {
    const stdout = sink();
    const stderr = sink();
    const code = await command.run({ argv, cwd: FIXTURES, env, stdout, stderr, logger: silentLogger, signal: new AbortController().signal });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  };

  it("is contributed by the plugin with its usage", () => {
    expect(command.usage).toBe("hop3 nix validate [DIR] [--app NAME] [--verbose]");
  });

  it("validates DIR relative to the current directory, one app with --app, verbose with --verbose", async () => {
    const result = await run(["broken", "--app", "nix-builder-fails", "--verbose"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("FAIL nix-builder-fails: error: builder for");
    expect(result.stdout).toContain("compilation went wrong");
    expect(result.stdout).toContain("hint: ");
    expect((await run(["apps", "--app", "nix-static"])).stdout).toBe("PASS nix-static\n\n1 passed, 0 failed\n");
  });

  it("refuses unknown options with the usage and exit code 2", async () => {
    expect(await run(["--frobnicate"])).toEqual({ code: 2, stdout: "", stderr: "Unknown option --frobnicate.\nUsage: hop3 nix validate [DIR] [--app NAME] [--verbose]\n" });
  });

  it("runs as the root script `pnpm nix:validate`, with a coded error and no stack trace for a user error", async () => {
    const tsx = join(REPO, "node_modules", ".bin", "tsx");
    const script = ["--conditions=@hop3/source", "packages/builder-nix/src/validate-apps-main.ts"];
    const ok = await execFileAsync(tsx, [...script, "test-fixtures/apps", "--app", "nix-web", "--verbose"], { cwd: REPO, env: { ...env, INIT_CWD: REPO } });
    expect(ok.stdout).toMatch(/^PASS nix-web\n {2}\/nix\/store\/[0-9a-z]{32}-nix-web\n/);

    const failed = await execFileAsync(tsx, [...script, "test-fixtures/broken"], { cwd: REPO, env: { ...env, INIT_CWD: REPO } }).catch((error) => error);
    expect(failed.code).toBe(1);
    const brokenCount = readdirSync(join(FIXTURES, "broken")).filter((name) => isDirectory(join(FIXTURES, "broken", name))).length;
    expect(failed.stdout).toContain(`0 passed, ${brokenCount} failed`);

    const missing = await execFileAsync(tsx, [...script, "no-such-dir"], { cwd: REPO, env: { ...env, INIT_CWD: REPO } }).catch((error) => error);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `error[APP_DIR_NOT_FOUND]: ${join(REPO, "no-such-dir")} is not a directory.\nhint: Pass the path of a directory that holds your app (its hop3.toml, Procfile, hop3.nix or sources).\n`,
    );
  });
});
