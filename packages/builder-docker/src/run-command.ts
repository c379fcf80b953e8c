/**
 * Names never passed into the container: the host's own (PATH, HOME... would break the image),
 * what Hop3 assigns for the host side (PORT, BIND_ADDRESS: the container gets its own PORT), and
 * what configures the docker CLI or the emperor.
 */
export const HOST_ONLY_NAMES: readonly string[] = ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "PWD", "OLDPWD", "SHLVL", "_", "HOSTNAME", "TERM", "PORT", "BIND_ADDRESS"];
/** Prefixes of names never passed into the container. */
export const HOST_ONLY_PREFIXES: readonly string[] = ["DOCKER_", "UWSGI_"];

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

/** Single-quotes a value for /bin/sh: nothing inside is expanded. */
export const shellQuote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

/** The container name of one worker instance, from HOP3_INSTANCE (`<app>_web.<n>` gives `hop3-<app>-web-<n>`). */
export const containerNameExpression = (appName: string): string => `hop3-$(printf %s "\${HOP3_INSTANCE:-${appName}_web.1}" | tr _. --)`;

/**
 * The shell command of the `web` worker: it runs the container in the foreground, so the deployer
 * that supervises the worker (the uWSGI emperor) supervises the container, and stopping the worker
 * stops it (`--init` forwards SIGTERM to the app; `--rm` removes the container).
 *
 * The app's environment is what the deployer exported to this shell. It reaches the container as
 * `-e NAME` (no value): the CLI copies the value from its own environment, so no value is ever
 * parsed as an argument or by the shell. Names are read from `env` with a strict pattern and
 * `set -f` (no globbing); a line of a multi-line value that looks like `NAME=...` can only add a
 * `-e NAME`, which copies nothing unless NAME is set. A leftover container of the same name (its
 * CLI was killed) is removed first.
 */
export function renderRunCommand(spec: RunCommandSpec): string {
  const docker = [shellQuote(spec.docker), ...(spec.dockerHost !== undefined ? ["--host", shellQuote(spec.dockerHost)] : [])].join(" ");
  const skipped = [...HOST_ONLY_NAMES, ...HOST_ONLY_PREFIXES.map((prefix) => `${prefix}*`)].join("|");
  return [
    "set -f",
    `hop3_name=${containerNameExpression(spec.appName)}`,
    "set --",
    `for hop3_var in $(env | sed -n 's/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/\\1/p'); do case "$hop3_var" in ${skipped}) ;; *) set -- "$@" -e "$hop3_var" ;; esac; done`,
    `${docker} rm -f "$hop3_name" >/dev/null 2>&1`,
    `exec ${docker} run --rm --init --name "$hop3_name" --label ${shellQuote(`hop3.app=${spec.appName}`)} ` +
      `-p "$BIND_ADDRESS:$PORT:${spec.containerPort}" "$@" -e PORT=${spec.containerPort} ${shellQuote(spec.image)}`,
  ].join("; ");
}
