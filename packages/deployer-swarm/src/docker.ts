import { silentLogger, type CommandResult, type OperationContext } from "@hop3/core";
import { swarmError } from "./errors.js";
import type { ResolvedSwarmOptions } from "./options.js";

/** The docker CLI as the deployer drives it: the operation's runner and environment (DOCKER_HOST). */
export interface Docker {
  /** Runs `docker ARGS`; a non-zero exit raises SWARM_COMMAND_FAILED with the last lines. */
  (args: readonly string[], purpose: string, timeoutMs?: number): Promise<string>;
  /** Runs `docker ARGS` and returns the result, whatever the exit code. */
  result(args: readonly string[], purpose: string, timeoutMs?: number): Promise<CommandResult>;
}

export function dockerOf(options: ResolvedSwarmOptions, context: OperationContext, app?: string): Docker {
  const result = (args: readonly string[], purpose: string, timeoutMs = 120_000): Promise<CommandResult> =>
    context.run(options.docker, args, {
      env: context.env,
      extendEnv: false,
      allowFailure: true,
      timeoutMs,
      purpose,
      signal: context.signal,
      // Inspections would flood the deploy's output; what fails is shown in the error.
      logger: silentLogger,
      notFoundHint: "Install Docker (`apt-get install docker.io`) or give its path in the deployer's `docker` option.",
    });
  const run = async (args: readonly string[], purpose: string, timeoutMs?: number): Promise<string> => {
    const done = await result(args, purpose, timeoutMs);
    if (done.exitCode !== 0) throw commandFailed(done, purpose, app);
    return done.stdout;
  };
  return Object.assign(run, { result });
}

export function commandFailed(done: CommandResult, purpose: string, app: string | undefined) {
  return swarmError("SWARM_COMMAND_FAILED", `${purpose} failed (exit code ${done.exitCode}):\n${done.lastLines.map((line) => `  ${line}`).join("\n")}`, {
    details: { ...(app !== undefined && { app }), exitCode: done.exitCode, lastLines: [...done.lastLines] },
  });
}

/** Non-empty lines of a command's output. */
export const linesOf = (text: string): string[] =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
