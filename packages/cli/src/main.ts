import { processIO, runningProgram } from "@hop3/cli-kit";
import { remoteSupport } from "@hop3/remote";
import { createCli } from "./create-cli.js";
import { loadDefaultDistribution } from "./default-distribution.js";
import { CLI_VERSION } from "./version.js";

/** Runs the default `hop3` distribution with the process's arguments and streams. */
export async function main(argv: readonly string[]): Promise<number> {
  const io = processIO();
  const cli = createCli(() => loadDefaultDistribution(io.env), {
    // Hop3's own scheduled work (log rotation) runs this very program again.
    hop3Command: runningProgram(),
    name: "hop3",
    version: CLI_VERSION,
    bugReportUrl: "https://github.com/abilian/hop3-builders/issues",
    // App commands on a server over SSH (`--remote`), and this machine as that server (`deploy --receive`).
    remote: remoteSupport(),
  });
  return cli.run(argv, io);
}
