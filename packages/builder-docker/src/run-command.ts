import { shellQuote } from "@hop3/core";

/** What the `web` worker of a docker-image artifact runs. */
export interface RunCommandSpec {
  readonly appName: string;
  readonly image: string;
  readonly containerPort: number;
  /** Absolute path of the docker CLI found at build time. */
  readonly docker: string;
  /** DOCKER_HOST of the build: the engine that has the image is the one that runs it. Unset: the CLI's default. */
  readonly dockerHost?: string;
}

/**
 * The variables the deployer gives the command (the `runtime.isolation: "container"` contract),
 * besides PATH, PORT, BIND_ADDRESS and HOP3_INSTANCE. Each limit is set only when the app has it.
 */
export const CONTAINER_VARIABLES = {
  /** The app's environment, `NAME=value` lines (Docker's --env-file format), root's 0600. */
  envFile: "HOP3_ENV_FILE",
  /** Memory in bytes: `--memory` and `--memory-swap` (no swap beyond it). */
  memory: "HOP3_LIMIT_MEMORY",
  /** CPUs, a decimal number: `--cpus`. */
  cpus: "HOP3_LIMIT_CPUS",
  /** Processes (and threads): `--pids-limit`. */
  processes: "HOP3_LIMIT_PROCESSES",
  /** Open files: `--ulimit nofile=N:N`. */
  openFiles: "HOP3_LIMIT_OPEN_FILES",
} as const;

/** The container name of one worker instance, from HOP3_INSTANCE (`<app>_web.<n>` gives `hop3-<app>-web-<n>`). */
export const containerNameExpression = (appName: string): string => `hop3-$(printf %s "\${HOP3_INSTANCE:-${appName}_web.1}" | tr _. --)`;

/** Adds `args` to the docker arguments when `variable` is set and not empty. */
const whenSet = (variable: string, args: string): string => `if [ -n "\${${variable}:-}" ]; then set -- "$@" ${args}; fi`;

/**
 * The shell command of the `web` worker: it runs the container in the foreground, so the deployer
 * that supervises the worker (the uWSGI emperor) supervises the container, and stopping the worker
 * stops it (`--init` forwards SIGTERM to the app; `--rm` removes it). A leftover container of the
 * same name (its CLI was killed) is removed first.
 *
 * The container is the app's box. The command runs as Hop3 (the docker CLI needs the engine's
 * socket) with a clean environment: the app's variables never reach the CLI (an app's LD_PRELOAD or
 * DOCKER_HOST would act on a root program), they go from the file HOP3_ENV_FILE names straight into
 * the container (`--env-file`: values are never parsed by a shell or as arguments). The limits come
 * from HOP3_LIMIT_* (`--memory`/`--memory-swap`, `--cpus`, `--pids-limit`, `--ulimit nofile`);
 * `--security-opt no-new-privileges` keeps setuid programs of the image from gaining privileges.
 * Nothing of the host is mounted (never the Docker socket), the container is never privileged and
 * runs as the image's USER. Without the env file the container is not started: an app without its
 * settings must not run.
 */
export function renderRunCommand(spec: RunCommandSpec): string {
  const docker = [shellQuote(spec.docker), ...(spec.dockerHost !== undefined ? ["--host", shellQuote(spec.dockerHost)] : [])].join(" ");
  const { envFile, memory, cpus, processes, openFiles } = CONTAINER_VARIABLES;
  return [
    "set -f",
    `hop3_name=${containerNameExpression(spec.appName)}`,
    `if [ ! -f "\${${envFile}:-}" ]; then echo "hop3: ${envFile} does not name the app's environment file (\${${envFile}:-unset}); the container of ${spec.appName} is not started." >&2; exit 78; fi`,
    "set --",
    whenSet(memory, `--memory "$${memory}" --memory-swap "$${memory}"`),
    whenSet(cpus, `--cpus "$${cpus}"`),
    whenSet(processes, `--pids-limit "$${processes}"`),
    whenSet(openFiles, `--ulimit "nofile=$${openFiles}:$${openFiles}"`),
    `${docker} rm -f "$hop3_name" >/dev/null 2>&1`,
    `exec ${docker} run --rm --init --security-opt no-new-privileges --name "$hop3_name" --label ${shellQuote(`hop3.app=${spec.appName}`)} ` +
      `-p "$BIND_ADDRESS:$PORT:${spec.containerPort}" --env-file "$${envFile}" "$@" -e PORT=${spec.containerPort} ${shellQuote(spec.image)}`,
  ].join("; ");
}
