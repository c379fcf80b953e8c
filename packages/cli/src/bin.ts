#!/usr/bin/env node
// The `hop3` program. `--version`, and `version --json` that a client asks first on every remote
// command, are answered before anything else is loaded: start-up stays close to bare node.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  const { CLI_VERSION } = await import("./version.js");
  process.stdout.write(`hop3 ${CLI_VERSION}\n`);
} else if (argv.length === 2 && argv[0] === "version" && argv[1] === "--json") {
  const [{ CLI_VERSION }, { REMOTE_PROTOCOL }] = await Promise.all([import("./version.js"), import("@hop3/remote/protocol")]);
  process.stdout.write(`${JSON.stringify({ name: "hop3", version: CLI_VERSION, protocol: REMOTE_PROTOCOL })}\n`);
} else {
  // A command bound for a remote starts its SSH connection first, so it is made while Hop3 loads.
  (await import("@hop3/remote/early")).connectEarly(argv, process.env);
  const { main } = await import("./main.js");
  process.exitCode = await main(argv);
}
