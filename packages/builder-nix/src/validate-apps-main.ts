// `pnpm nix:validate [DIR] [--app NAME] [--verbose]`: runs `hop3 nix validate` until the CLI offers it.
import { Hop3Error, silentLogger } from "@hop3/core";
import { createValidateCommand } from "./validate-command.js";

const controller = new AbortController();
process.once("SIGINT", () => controller.abort());

try {
  process.exitCode = await createValidateCommand().run({
    argv: process.argv.slice(2),
    // pnpm runs scripts from the repository root; INIT_CWD is where the user typed the command.
    cwd: process.env.INIT_CWD ?? process.cwd(),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    logger: silentLogger,
    signal: controller.signal,
  });
} catch (error) {
  // One error boundary: a user error is its code, message and hint; anything else is a bug.
  if (Hop3Error.is(error)) {
    process.stderr.write(`error[${error.code}]: ${error.message}\nhint: ${error.hint}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`${(error as Error)?.stack ?? String(error)}\nThis is a bug in @hop3/builder-nix; please report it with the text above.\n`);
    process.exitCode = 70;
  }
}
