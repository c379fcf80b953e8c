import { resolve } from "node:path";
import { defineCliCommand, type CliCommand } from "@hop3/core";
import type { NixBuilderOptions } from "./options.js";
import { formatAppValidation, formatSummary, validateNixApps } from "./validate-apps.js";

/** `hop3 nix validate`: the command-line face of `validateNixApps`, with `--json` for scripts. */
export function createValidateCommand(builder?: NixBuilderOptions): CliCommand {
  return defineCliCommand({
    name: ["nix", "validate"],
    summary: "Build every Nix app under a folder and report PASS or FAIL for each",
    description: "Builds every Nix app (a directory holding hop3.nix) under DIR and prints PASS or FAIL for each.\nExits 1 when any app fails or none is found; with --json, the whole report is one JSON object.",
    positionals: [{ name: "DIR", optional: true, description: "a folder of apps, or one app (default: the current directory)" }],
    options: {
      app: { type: "string", valueName: "NAME", description: "validate only DIR/NAME" },
      verbose: { type: "boolean", short: "v", description: "show the store path of each passing app and the whole error of each failure" },
    },
    async run({ args, io, onStep }) {
      const verbose = args.values.verbose === true;
      const report = await validateNixApps({
        root: resolve(io.cwd, args.positionals[0] ?? "."),
        ...(typeof args.values.app === "string" && { app: args.values.app }),
        env: io.env,
        onStep,
        signal: io.signal,
        ...(builder && { builder }),
      });
      const text = [...report.results.map((result) => formatAppValidation(result, verbose)), formatSummary(report)].join("").replace(/\n$/, "");
      return { data: report, text, exitCode: report.exitCode };
    },
  });
}
