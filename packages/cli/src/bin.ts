#!/usr/bin/env node
// The `hop3` program. `--version` is answered before anything else is loaded: start-up stays
// close to bare node.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  const { CLI_VERSION } = await import("./version.js");
  process.stdout.write(`hop3 ${CLI_VERSION}\n`);
} else {
  const { main } = await import("./main.js");
  process.exitCode = await main(argv);
}
