import { describe, expect, it } from "vitest";
import { Hop3Error } from "@hop3/core";
import { buildLogTail, classifyNixFailure, findErrorBlocks, stderrLines } from "../src/classify.js";
import { builtDerivation } from "../src/nix-cli.js";

// The texts below are what nix-build 2.8 printed for the broken fixtures (test-fixtures/broken/NIX-OUTPUT.md).
const SYNTAX = `error: syntax error, unexpected ';'

       at /work/main/test-fixtures/broken/nix-syntax-error/hop3.nix:4:13:

            3| {
            4|   package = ;
             |             ^
            5| }
`;

const UNDEFINED = `error: undefined variable 'thisVariableIsNotDefined'

       at /work/main/test-fixtures/broken/nix-undefined-variable/hop3.nix:9:12:

            8|     args = [ "-c" "echo never built" ];
            9|     PATH = thisVariableIsNotDefined;
             |            ^
           10|   };
(use '--show-trace' to show detailed location information)
`;

const NO_PACKAGE = "error: attribute 'package' in selection path 'package' not found\n";

const BUILDER_FAILS = `this derivation will be built:
  /nix/store/ms8z8ddmadi8jinaihz4m0yfnbyzclhf-nix-builder-fails.drv
building '/nix/store/ms8z8ddmadi8jinaihz4m0yfnbyzclhf-nix-builder-fails.drv'...
starting the build
compilation went wrong
error: builder for '/nix/store/ms8z8ddmadi8jinaihz4m0yfnbyzclhf-nix-builder-fails.drv' failed with exit code 1
`;

const BUILDER_FAILS_QUIET = `this derivation will be built:
  /nix/store/ms8z8ddmadi8jinaihz4m0yfnbyzclhf-nix-builder-fails.drv
building '/nix/store/ms8z8ddmadi8jinaihz4m0yfnbyzclhf-nix-builder-fails.drv'...
error: builder for '/nix/store/ms8z8ddmadi8jinaihz4m0yfnbyzclhf-nix-builder-fails.drv' failed with exit code 1;
       last 2 log lines:
       > starting the build
       > compilation went wrong
       For full logs, run 'nix log /nix/store/ms8z8ddmadi8jinaihz4m0yfnbyzclhf-nix-builder-fails.drv'.
`;

const DEPENDENCY_FAILS = `these 2 derivations will be built:
  /nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-python3-env.drv
  /nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-myapp-0.1.0.drv
building '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-python3-env.drv'...
ModuleNotFoundError: No module named 'flask'
error: builder for '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-python3-env.drv' failed with exit code 1
error: 1 dependencies of derivation '/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-myapp-0.1.0.drv' failed to build
`;

const NO_NIXPKGS = `warning: Nix search path entry '../../nixpkgs-stand-in' does not exist, ignoring
error: file 'nixpkgs' was not found in the Nix search path (add it using $NIX_PATH or -I)

       at /tmp/app/hop3.nix:1:15:

            1| { pkgs ? import <nixpkgs> {} }:
             |               ^
            2| let
(use '--show-trace' to show detailed location information)
`;

const classify = (stderr: string, exitCode = 1, step: "build" | "env" = "build") =>
  classifyNixFailure({ stderr, exitCode, appName: "demo", step });

describe("classifyNixFailure", () => {
  it("reports a parse error as NIX_SYNTAX_ERROR with nix's line, the location and the source excerpt", () => {
    const error = classify(SYNTAX);
    expect(Hop3Error.is(error)).toBe(true);
    expect(error.code).toBe("NIX_SYNTAX_ERROR");
    expect(error.message).toContain("error: syntax error, unexpected ';'");
    expect(error.message).toContain("at /work/main/test-fixtures/broken/nix-syntax-error/hop3.nix:4:13:");
    expect(error.message).toContain("4|   package = ;");
    expect(error.details).toMatchObject({
      errorLine: "error: syntax error, unexpected ';'",
      location: { file: "/work/main/test-fixtures/broken/nix-syntax-error/hop3.nix", line: 4, column: 13 },
      exitCode: 1,
    });
    expect(error.hint).not.toBe("");
  });

  it("reports an end-of-file parse error as NIX_SYNTAX_ERROR too", () => {
    expect(classify("error: syntax error, unexpected end of file, expecting ';'\n").code).toBe("NIX_SYNTAX_ERROR");
  });

  it("reports an undefined variable as NIX_EVALUATION_ERROR, leaving out the --show-trace advice", () => {
    const error = classify(UNDEFINED);
    expect(error.code).toBe("NIX_EVALUATION_ERROR");
    expect(error.message).toContain("error: undefined variable 'thisVariableIsNotDefined'");
    expect(error.message).toContain("9|     PATH = thisVariableIsNotDefined;");
    expect(error.message).not.toContain("--show-trace");
    expect(error.details.location).toEqual({ file: "/work/main/test-fixtures/broken/nix-undefined-variable/hop3.nix", line: 9, column: 12 });
  });

  it.each([
    ["error: boom"],
    ["error: evaluation aborted with the following error message: 'x'"],
    ["error: assertion 'false' failed"],
    ["error: cannot coerce a set to a string"],
    ["error: expression does not evaluate to a derivation (or a set or list of those)"],
    ["error: attribute 'a' already defined at (string):1:3"],
  ])("reports %s as NIX_EVALUATION_ERROR carrying the line", (line) => {
    const error = classify(`${line}\n`);
    expect(error.code).toBe("NIX_EVALUATION_ERROR");
    expect(error.message).toContain(line);
  });

  it("reports a missing package attribute as NIX_PACKAGE_ATTRIBUTE_MISSING", () => {
    const error = classify(NO_PACKAGE);
    expect(error.code).toBe("NIX_PACKAGE_ATTRIBUTE_MISSING");
    expect(error.message).toContain("attribute 'package' in selection path 'package' not found");
  });

  it("reports a failed builder as NIX_BUILD_FAILED with the builder's own last log lines, not nix's progress", () => {
    const error = classify(BUILDER_FAILS, 100);
    expect(error.code).toBe("NIX_BUILD_FAILED");
    expect(error.message).toContain("error: builder for '/nix/store/ms8z8ddmadi8jinaihz4m0yfnbyzclhf-nix-builder-fails.drv' failed with exit code 1");
    expect(error.message).toContain("compilation went wrong");
    expect(error.details.logTail).toEqual(["starting the build", "compilation went wrong"]);
    expect(error.details.drv).toBe("/nix/store/ms8z8ddmadi8jinaihz4m0yfnbyzclhf-nix-builder-fails.drv");
    expect(error.hint).toContain("nix log /nix/store/ms8z8ddmadi8jinaihz4m0yfnbyzclhf-nix-builder-fails.drv");
  });

  it("keeps nix's own log excerpt when nix prints one (-Q)", () => {
    const error = classify(BUILDER_FAILS_QUIET, 100);
    expect(error.code).toBe("NIX_BUILD_FAILED");
    expect(error.message).toContain("> compilation went wrong");
  });

  it("through the daemon: the log streamed, then nix's excerpt; the error line without its ';', the log not repeated", () => {
    const stderr = BUILDER_FAILS_QUIET.replace("...\nerror:", "...\nstarting the build\ncompilation went wrong\nerror:");
    const error = classify(stderr, 100);
    expect(error.code).toBe("NIX_BUILD_FAILED");
    expect(error.details.errorLine).toBe("error: builder for '/nix/store/ms8z8ddmadi8jinaihz4m0yfnbyzclhf-nix-builder-fails.drv' failed with exit code 1");
    expect(error.details.logTail).toEqual(["starting the build", "compilation went wrong"]);
    expect(error.message).toContain("> compilation went wrong");
    expect(error.message).not.toContain("Last lines of the build log");
  });

  it.each([
    ["error: access to absolute path '/etc/shadow' is forbidden in restricted mode\n", "path", "/etc/shadow"],
    ["error: access to canonical path '/etc/shadow' is forbidden in restricted mode\n", "path", "/etc/shadow"],
  ])("reports %j as NIX_ACCESS_FORBIDDEN naming the path", (stderr, key, target) => {
    for (const step of ["build", "env"] as const) {
      const error = classify(stderr, 1, step);
      expect(error.code).toBe("NIX_ACCESS_FORBIDDEN");
      expect(error.message).toContain(`reads ${target}, a path outside the app and the Nix search path`);
      expect(error.details[key]).toBe(target);
      expect(error.hint).toContain("NIX_PATH");
    }
  });

  it("reports a URL that restricted evaluation may not fetch as NIX_ACCESS_FORBIDDEN, with allowed-uris as the way out", () => {
    const error = classify("error: access to URI 'https://example.org/x.tar.gz' is forbidden in restricted mode\n");
    expect(error.code).toBe("NIX_ACCESS_FORBIDDEN");
    expect(error.details.uri).toBe("https://example.org/x.tar.gz");
    expect(error.hint).toContain("allowed-uris");
  });

  it.each([
    "error: cannot connect to socket at '/nix/var/nix/daemon-socket/socket': Permission denied",
    "error: cannot connect to socket at '/nix/var/nix/daemon-socket/socket': Connection refused",
  ])("reports %j as NIX_DAEMON_UNAVAILABLE", (line) => {
    const error = classify(`${line}\n`);
    expect(error.code).toBe("NIX_DAEMON_UNAVAILABLE");
    expect(error.message).toContain(line);
    expect(error.hint).toContain("nix-daemon");
  });

  it("names the dependency that failed, not the derivation that depended on it", () => {
    const error = classify(DEPENDENCY_FAILS, 100);
    expect(error.code).toBe("NIX_BUILD_FAILED");
    expect(error.details.errorLine).toBe("error: builder for '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-python3-env.drv' failed with exit code 1");
    expect(error.message).toContain("ModuleNotFoundError: No module named 'flask'");
  });

  it("reports a builder that produced no output as NIX_BUILD_FAILED", () => {
    const line = "error: builder for '/nix/store/ms8z8ddmadi8jinaihz4m0yfnbyzclhf-x.drv' failed to produce output path for output 'out' at '/nix/store/s5vdzm70hpq689887w9zqizml629l16v-x'";
    expect(classify(`${line}\n`, 100).code).toBe("NIX_BUILD_FAILED");
  });

  it("reports nix's own build timeout as NIX_BUILD_TIMEOUT", () => {
    // What nix-build 2.8 printed with --option timeout 1 on a builder that sleeps.
    const error = classify(
      "building '/nix/store/rcdayr0bl2fdzxaba18rhxcp8cf2dw0l-slow.drv'...\nstarted\nerror: building of '/nix/store/rcdayr0bl2fdzxaba18rhxcp8cf2dw0l-slow.drv!out' from .drv file timed out after 1 seconds\n",
      101,
    );
    expect(error.code).toBe("NIX_BUILD_TIMEOUT");
    expect(error.message).toContain("timed out after 1 seconds");
  });

  it("reports a build killed without an error line as NIX_BUILD_FAILED with the output tail", () => {
    const error = classify("building '/nix/store/ms8z8ddmadi8jinaihz4m0yfnbyzclhf-x.drv'...\nhalf done\n", 137);
    expect(error.code).toBe("NIX_BUILD_FAILED");
    expect(error.message).toContain("exited with code 137");
    expect(error.message).toContain("half done");
  });

  it("explains a missing <nixpkgs> with a hint about NIX_PATH and [nix] include, and shows nix's warning", () => {
    const error = classify(NO_NIXPKGS);
    expect(error.code).toBe("NIX_EVALUATION_ERROR");
    expect(error.message).toContain("error: file 'nixpkgs' was not found in the Nix search path");
    expect(error.message).toContain("warning: Nix search path entry '../../nixpkgs-stand-in' does not exist, ignoring");
    expect(error.hint).toContain("[nix] include");
  });

  it("reports a failure to evaluate env as NIX_EVALUATION_ERROR naming the env attribute", () => {
    const error = classify("error: cannot convert a thunk to JSON\n", 1, "env");
    expect(error.code).toBe("NIX_EVALUATION_ERROR");
    expect(error.message).toContain('the "env" attribute');
  });

  it("reports hop3.nix vanishing as NIX_FILE_MISSING", () => {
    expect(classify("error: getting status of '/tmp/app/hop3.nix': No such file or directory\n").code).toBe("NIX_FILE_MISSING");
  });

  it("ignores colour codes", () => {
    expect(classify("\u001b[31;1merror:\u001b[0m syntax error, unexpected ';'\n").code).toBe("NIX_SYNTAX_ERROR");
  });
});

describe("reading nix's output", () => {
  it("finds every error paragraph with its context", () => {
    const blocks = findErrorBlocks(stderrLines(DEPENDENCY_FAILS));
    expect(blocks.map((b) => b.line.slice(0, 30))).toEqual(["error: builder for '/nix/store", "error: 1 dependencies of deriv"]);
  });

  it("keeps at most the requested number of log lines", () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    expect(buildLogTail(lines, 3)).toEqual(["line 37", "line 38", "line 39"]);
  });
});

describe("the derivation of a build", () => {
  const BUILT_TWO = `these 2 derivations will be built:
  /nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-python3-env.drv
  /nix/store/c5rsxwaa520k9a53as9kjgccwkdfhhjp-myapp-0.1.0.drv
building '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-python3-env.drv'...
building '/nix/store/c5rsxwaa520k9a53as9kjgccwkdfhhjp-myapp-0.1.0.drv'...
installing
`;

  it("is read from nix's building line for the store path's own name", () => {
    expect(builtDerivation(BUILT_TWO, "/nix/store/xvhnvkqhp0aagb60bq83vq9f54brf0w3-myapp-0.1.0")).toBe(
      "/nix/store/c5rsxwaa520k9a53as9kjgccwkdfhhjp-myapp-0.1.0.drv",
    );
  });

  it("is unknown when nix built nothing (a cached build) or only other derivations", () => {
    expect(builtDerivation("", "/nix/store/xvhnvkqhp0aagb60bq83vq9f54brf0w3-myapp-0.1.0")).toBeUndefined();
    expect(builtDerivation(BUILT_TWO, "/nix/store/xvhnvkqhp0aagb60bq83vq9f54brf0w3-other")).toBeUndefined();
  });
});
