import { describe, expect, it } from "vitest";
import { formatAppValidation, formatSummary, parseValidateArgs, type NixAppValidation } from "@hop3/builder-nix";

describe("hop3 nix validate arguments", () => {
  it.each([
    [[], { help: false, verbose: false }],
    [["apps"], { help: false, verbose: false, dir: "apps" }],
    [["apps", "--app", "flask-hello", "--verbose"], { help: false, verbose: true, dir: "apps", app: "flask-hello" }],
    [["--app=flask-hello", "-v"], { help: false, verbose: true, app: "flask-hello" }],
    [["-h"], { help: true }],
  ])("reads %j", (argv, expected) => {
    expect(parseValidateArgs(argv)).toEqual(expected);
  });

  it.each([
    [["--app"], "--app needs an app name"],
    [["--app", "--verbose"], "--app needs an app name"],
    [["--json"], "Unknown option --json."],
    [["a", "b"], 'Only one DIR may be given (got "a" and "b")'],
  ])("refuses %j", (argv, message) => {
    expect(parseValidateArgs(argv)).toEqual({ error: expect.stringContaining(message) });
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
