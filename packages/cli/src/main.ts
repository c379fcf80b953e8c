import { createCli } from "./create-cli.js";
import { loadDefaultDistribution } from "./default-distribution.js";
import { processIO } from "./io.js";
import { CLI_VERSION } from "./version.js";

/** Runs the default `hop3` distribution with the process's arguments and streams. */
export async function main(argv: readonly string[]): Promise<number> {
  const io = processIO();
  // How this very program was started (node, its flags, the script): Hop3's own scheduled work runs it again.
  const hop3Command = [process.execPath, ...process.execArgv, ...(process.argv[1] ? [process.argv[1]] : [])];
  const cli = createCli(() => loadDefaultDistribution(io.env, hop3Command), {
    name: "hop3",
    version: CLI_VERSION,
    bugReportUrl: "https://github.com/abilian/hop3-builders/issues",
  });
  return cli.run(argv, io);
}
