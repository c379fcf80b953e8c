import { Hop3Error, silentLogger, type CommandResult, type OperationContext, type RunOptions } from "@hop3/core";
import { classifyDockerFailure, describeEngine } from "./classify.js";
import { dockerError, INSTALL_DOCKER_HINT } from "./errors.js";

/** What a docker command needs from the operation that runs it. */
export interface DockerCommandContext {
  readonly op: Pick<OperationContext, "run" | "env" | "logger">;
  readonly appName: string;
  /** Absolute path of the docker CLI. */
  readonly docker: string;
}

/** DOCKER_HOST of an environment, undefined when unset or empty. */
export const dockerHostOf = (env: Readonly<Record<string, string | undefined>>): string | undefined => (env.DOCKER_HOST ? env.DOCKER_HOST : undefined);

/**
 * Every docker command goes through core's runner with the distribution's environment (its
 * DOCKER_HOST, DOCKER_CONFIG...). Failures come back as results to be classified; a time limit
 * becomes DOCKER_BUILD_TIMEOUT, a missing CLI DOCKER_NOT_INSTALLED.
 */
export async function runDocker(args: readonly string[], context: DockerCommandContext, options: RunOptions = {}): Promise<CommandResult> {
  try {
    return await context.op.run(context.docker, args, { env: context.op.env, extendEnv: false, allowFailure: true, notFoundHint: INSTALL_DOCKER_HINT, ...options });
  } catch (error) {
    if (!Hop3Error.is(error)) throw error;
    if (error.code === "COMMAND_TIMEOUT") {
      const seconds = Math.round((options.timeoutMs ?? 0) / 100) / 10;
      const lines = ((error.details.lastLines as string[] | undefined) ?? []).slice(-10);
      const log = lines.length > 0 ? `\nLast lines of the build output:\n${lines.map((line) => `  ${line}`).join("\n")}` : "";
      throw dockerError("DOCKER_BUILD_TIMEOUT", `Stopped ${options.purpose ?? "docker"} after ${seconds} s, its time limit.${log}`, {
        cause: error,
        details: { app: context.appName, timeoutMs: options.timeoutMs, lastLines: lines },
      });
    }
    if (error.code === "COMMAND_NOT_FOUND") throw dockerError("DOCKER_NOT_INSTALLED", error.message, { cause: error, details: { app: context.appName, program: context.docker } });
    throw error;
  }
}

/**
 * Asks the engine for its version, so an engine that is down is reported as such, in seconds,
 * before a build starts. Returns the engine's version.
 */
export async function checkEngine(context: DockerCommandContext): Promise<string> {
  const result = await runDocker(["version", "--format", "{{.Server.Version}}"], context, {
    purpose: "asking the Docker engine for its version",
    timeoutMs: 30_000,
    logger: silentLogger,
  }).catch((error: unknown) => {
    if (Hop3Error.is(error) && error.code === "DOCKER_BUILD_TIMEOUT") {
      throw dockerError("DOCKER_ENGINE_UNREACHABLE", `${describeEngine(dockerHostOf(context.op.env))} did not answer \`docker version\` within 30 s.`, {
        cause: error,
        details: { app: context.appName },
      });
    }
    throw error;
  });
  const version = result.stdout.trim();
  if (result.exitCode === 0 && version !== "") return version;
  const failure = classifyDockerFailure({ lines: result.lastLines, exitCode: result.exitCode, appName: context.appName, dockerHost: dockerHostOf(context.op.env) });
  if (failure.code === "DOCKER_ENGINE_UNREACHABLE") throw failure;
  throw dockerError("DOCKER_ENGINE_UNREACHABLE", `\`docker version\` failed against ${describeEngine(dockerHostOf(context.op.env))}:\n${result.lastLines.map((line) => `  ${line}`).join("\n")}`, {
    details: { app: context.appName, exitCode: result.exitCode, lastLines: [...result.lastLines] },
  });
}

/** Removes an image reference (untags it; the engine deletes the image with its last tag). False when it was already gone. */
export async function removeImage(reference: string, context: DockerCommandContext): Promise<boolean> {
  const result = await runDocker(["image", "rm", reference], context, { purpose: `removing image ${reference}`, timeoutMs: 120_000 });
  if (result.exitCode === 0) return true;
  const text = result.lastLines.join("\n");
  if (/No such image/i.test(text)) return false;
  const failure = classifyDockerFailure({ lines: result.lastLines, exitCode: result.exitCode, appName: context.appName, dockerHost: dockerHostOf(context.op.env) });
  if (failure.code === "DOCKER_ENGINE_UNREACHABLE") throw failure;
  throw new Hop3Error({
    code: "COMMAND_FAILED",
    message: `\`docker image rm ${reference}\` failed (exit code ${result.exitCode}):\n${result.lastLines.map((line) => `  ${line}`).join("\n")}`,
    hint: "A container may still use the image: `docker ps -a --filter ancestor=" + reference + "` lists them; remove them and the image by hand.",
    details: { app: context.appName, reference, exitCode: result.exitCode },
  });
}
