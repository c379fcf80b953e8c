import { resolve } from "node:path";
import type { CliCommand } from "@hop3/core";
import type { NixBuilderOptions } from "./options.js";
import { validateNixApps } from "./validate-apps.js";

/** The usage line of `hop3 nix validate`. */
export const VALIDATE_USAGE = "hop3 nix validate [DIR] [--app NAME] [--verbose]";

/** What `hop3 nix validate` was asked, or why its arguments make no sense. */
export type ValidateArgs =
  | { readonly help: true }
  | { readonly help: false; readonly dir?: string; readonly app?: string; readonly verbose: boolean }
  | { readonly error: string };

/** Parses the words after `hop3 nix validate`; small on purpose (three options). */
export function parseValidateArgs(argv: readonly string[]): ValidateArgs {
  let dir: string | undefined;
  let app: string | undefined;
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--help" || word === "-h") return { help: true };
    if (word === "--verbose" || word === "-v") verbose = true;
    else if (word === "--app" || word.startsWith("--app=")) {
      const value = word === "--app" ? argv[++i] : word.slice("--app=".length);
      if (!value || value.startsWith("-")) return { error: "--app needs an app name (a directory under DIR)." };
      app = value;
    } else if (word.startsWith("-")) return { error: `Unknown option ${word}.` };
    else if (dir === undefined) dir = word;
    else return { error: `Only one DIR may be given (got "${dir}" and "${word}").` };
  }
  return { help: false, verbose, ...(dir !== undefined && { dir }), ...(app !== undefined && { app }) };
}

const HELP = `Usage: ${VALIDATE_USAGE}

Builds every Nix app (a directory holding hop3.nix) under DIR, default the current
directory, and prints PASS or FAIL for each. Exits 1 when any app fails.

  --app NAME   validate only DIR/NAME
  --verbose    show the store path of each passing app and the whole error of each failure
`;

/** `hop3 nix validate`: the CLI face of `validateNixApps`. */
export function createValidateCommand(builder?: NixBuilderOptions): CliCommand {
  return {
    apiVersion: 1,
    name: ["nix", "validate"],
    summary: "Build every Nix app under a folder and report PASS or FAIL for each",
    usage: VALIDATE_USAGE,
    async run(context) {
      const args = parseValidateArgs(context.argv);
      if ("error" in args) {
        context.stderr.write(`${args.error}\nUsage: ${VALIDATE_USAGE}\n`);
        return 2;
      }
      if (args.help) {
        context.stdout.write(HELP);
        return 0;
      }
      const report = await validateNixApps({
        root: resolve(context.cwd, args.dir ?? "."),
        ...(args.app !== undefined && { app: args.app }),
        verbose: args.verbose,
        output: context.stdout,
        env: context.env,
        logger: context.logger,
        signal: context.signal,
        ...(builder && { builder }),
      });
      return report.exitCode;
    },
  };
}
