import { describe, expect, it } from "vitest";
import { createCli, EXIT, memoryIO } from "@hop3/cli-kit";
import { createDistribution } from "@hop3/core";
import { formatAppValidation, formatSummary, nixPlugin, type NixAppValidation } from "@hop3/builder-nix";

// The command as a program runs it: parsed by the shell of @hop3/cli-kit from its declaration.
const cli = createCli(createDistribution({ plugins: [nixPlugin()] }), { name: "hop3", version: "0.0.0", pluginsFrom: false });

async function run(...argv: string[]) {
  const io = memoryIO();
  const code = await cli.run(["nix", "validate", ...argv], io);
  return { code, stdout: io.out(), stderr: io.err() };
}

describe("hop3 nix validate arguments", () => {
  it("is listed with the usage line made from its declaration", async () => {
    const io = memoryIO();
    await cli.run(["--help"], io);
    expect(io.out()).toContain("hop3 nix validate [DIR] [--app NAME] [--verbose]");
  });

  it("explains itself with --help", async () => {
    const result = await run("--help");
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain("usage: hop3 nix validate [DIR] [--app NAME] [--verbose]");
    expect(result.stdout).toContain("--app NAME");
    expect(result.stdout).toContain("validate only DIR/NAME");
    expect(result.stdout).toContain("--json");
  });

  it.each([
    [["--app"], "Option '--app <value>' argument missing"],
    [["--frobnicate"], "Unknown option '--frobnicate'"],
    [["a", "b"], 'unexpected argument "b"'],
  ])("refuses %j with the usage and exit code 2", async (argv, message) => {
    const result = await run(...argv);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toBe(`error: ${message}\nusage: hop3 nix validate [DIR] [--app NAME] [--verbose]\n`);
  });

  it("gives a usage error as JSON with --json", async () => {
    const result = await run("a", "b", "--json");
    expect(result.code).toBe(EXIT.usage);
    expect(JSON.parse(result.stdout)).toEqual({ error: { code: "USAGE", message: 'unexpected argument "b"', hint: "hop3 nix validate [DIR] [--app NAME] [--verbose]" } });
  });

  it("reports a missing DIR as APP_DIR_NOT_FOUND, exit 1", async () => {
    const result = await run("/no/such/dir");
    expect(result.code).toBe(EXIT.userError);
    expect(result.stderr).toMatch(/^error\[APP_DIR_NOT_FOUND\]: \/no\/such\/dir is not a directory\.\nhint: /);
  });
});

describe("validation output", () => {
  const pass: NixAppValidation = { name: "web", dir: "/a/web", passed: true, storePath: "/nix/store/l0w8grq7lm19r83hfhv4wfl0xmw6ypl9-nix-web", artifact: {} as never };
  const fail: NixAppValidation = {
    name: "broken",
    dir: "/a/broken",
    passed: false,
    code: "NIX_SYNTAX_ERROR",
    errorLine: "error: syntax error, unexpected ';'",
    message: "hop3.nix of \"broken\" is not valid Nix:\n  error: syntax error, unexpected ';'",
    hint: "Fix the syntax.",
  };

  it("prints PASS, and the store path when verbose", () => {
    expect(formatAppValidation(pass)).toBe("PASS web\n");
    expect(formatAppValidation(pass, true)).toBe("PASS web\n  /nix/store/l0w8grq7lm19r83hfhv4wfl0xmw6ypl9-nix-web\n");
  });

  it("prints FAIL with nix's error line, and the whole message and hint when verbose", () => {
    expect(formatAppValidation(fail)).toBe("FAIL broken: error: syntax error, unexpected ';' [NIX_SYNTAX_ERROR]\n");
    expect(formatAppValidation(fail, true)).toContain("\n  hint: Fix the syntax.\n");
  });

  it("sums up, or says nothing was found", () => {
    expect(formatSummary({ root: "/a", results: [pass, fail], passed: 1, failed: 1, exitCode: 1 })).toBe("\n1 passed, 1 failed\n");
    expect(formatSummary({ root: "/a", results: [], passed: 0, failed: 0, exitCode: 1 })).toContain("No Nix app");
  });
});
