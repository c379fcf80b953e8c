import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { defineBench } from "@hop3/bench";
import { createMemoryLogger, runCommand } from "@hop3/core";

const execFileAsync = promisify(execFile);

// The runner streams lines, keeps the tail and maps errors; this is what that costs per command.
export default defineBench({
  name: "core",
  cases: [
    {
      name: "run a command (true)",
      subject: { label: "runCommand", run: () => runCommand("true", []) },
      baseline: { label: "child_process.execFile", run: () => execFileAsync("true", []) },
      iterations: 30,
      goal: "< 5 ms overhead",
    },
    {
      name: "run a command printing 2,000 lines",
      subject: { label: "runCommand", run: () => runCommand("seq", ["1", "2000"], { logger: createMemoryLogger() }) },
      baseline: { label: "child_process.execFile", run: () => execFileAsync("seq", ["1", "2000"]) },
      iterations: 20,
    },
  ],
});
