import type { Hop3Error } from "@hop3/core";
import { dockerError } from "./errors.js";

/** What a failed docker command left behind, as the classifier needs it. */
export interface DockerFailure {
  /** The command's last output lines, stdout and stderr interleaved. */
  readonly lines: readonly string[];
  readonly exitCode: number;
  readonly appName: string;
  /** DOCKER_HOST the CLI used, for the message; undefined means the CLI's default socket. */
  readonly dockerHost: string | undefined;
}

const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
const UNREACHABLE = [
  /Cannot connect to the Docker daemon/i,
  /error during connect/i,
  /Is the docker daemon running/i,
  /dial (unix|tcp) [^:]*:? ?.*connect: (no such file or directory|connection refused|permission denied)/i,
];
const PARSE_ERROR = [/dockerfile parse error/i, /failed to parse dockerfile/i, /unknown instruction:/i, /Dockerfile parse error/i];
// Progress lines that say nothing about a failure.
const NOISE = [/^Sending build context to Docker daemon/, /^\s*-+>\s*$/, /^Removing intermediate container /, /^DEPRECATED: The legacy builder/, /^\s+(Install the buildx|BuildKit is currently|https:\/\/docs\.docker\.com\/go\/buildx)/, /^\s*$/];

/** Output lines without colour codes or trailing blanks. */
export const cleanLines = (lines: readonly string[]): string[] => lines.map((line) => line.replace(ANSI, "").trimEnd());

/** The last lines of a build's output worth showing, progress noise left out. */
export function buildOutputTail(lines: readonly string[], count = 15): string[] {
  return cleanLines(lines)
    .filter((line) => !NOISE.some((pattern) => pattern.test(line)))
    .slice(-count);
}

/** True when the output says the CLI could not reach an engine. */
export const isEngineUnreachable = (lines: readonly string[]): boolean => cleanLines(lines).some((line) => UNREACHABLE.some((pattern) => pattern.test(line)));

/** Says which engine the CLI tried, for messages. */
export const describeEngine = (dockerHost: string | undefined): string =>
  dockerHost === undefined || dockerHost === "" ? "the default engine (DOCKER_HOST is not set)" : `DOCKER_HOST=${dockerHost}`;

const indent = (lines: readonly string[]) => lines.map((line) => `  ${line}`).join("\n");

/**
 * Turns a failed `docker build` (or `docker version`) into the coded error a user can act on:
 * engine unreachable, Dockerfile syntax, or a failed build step with the tail of the output.
 */
export function classifyDockerFailure(failure: DockerFailure): Hop3Error {
  const lines = cleanLines(failure.lines);
  const details = { app: failure.appName, exitCode: failure.exitCode, dockerHost: failure.dockerHost ?? null, lastLines: buildOutputTail(lines) };
  if (isEngineUnreachable(lines)) {
    const said = lines.find((line) => UNREACHABLE.some((pattern) => pattern.test(line)));
    return dockerError("DOCKER_ENGINE_UNREACHABLE", `The docker command could not reach ${describeEngine(failure.dockerHost)} to build "${failure.appName}":\n  ${said}`, { details });
  }
  const parse = lines.find((line) => PARSE_ERROR.some((pattern) => pattern.test(line)));
  if (parse !== undefined) {
    return dockerError("DOCKERFILE_INVALID", `The Dockerfile of "${failure.appName}" could not be parsed:\n  ${parse}`, { details });
  }
  const tail = buildOutputTail(lines);
  const log = tail.length > 0 ? `\nLast lines of the build output:\n${indent(tail)}` : "";
  return dockerError("DOCKER_BUILD_FAILED", `docker build of "${failure.appName}" failed (exit code ${failure.exitCode}).${log}`, { details });
}
