// Preloaded into a `hop3` process by the benchmark: prints its peak memory when it exits.
process.on("exit", () => process.stderr.write(`\nhop3-bench-maxrss-kib ${process.resourceUsage().maxRSS}\n`));
