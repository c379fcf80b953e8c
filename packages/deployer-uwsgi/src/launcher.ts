import { APP_UMASK, shellQuote } from "@hop3/core";
import { uwsgiError } from "./errors.js";
import { checkVariable } from "./worker-env.js";

/** What one worker instance runs, and how (the artifact's default isolation: as the app's own user). */
export interface LauncherSpec {
  readonly app: string;
  readonly worker: string;
  readonly index: number;
  /** The worker's command, run by `/bin/sh -c` so `$PORT` and the app's variables expand at run time. */
  readonly command: string;
  /** HOME, USER, LOGNAME and TMPDIR of the app's user (core's appProcessEnv), then the merged environment (see mergeWorkerEnv), later wins. */
  readonly env: Readonly<Record<string, string>>;
  /** Directories put in front of PATH, first wins. */
  readonly pathPrepend: readonly string[];
  readonly workingDir: string;
  /** Where the launcher writes its pid; uWSGI made it a session leader, so it is also the process group. */
  readonly pidFile: string;
  /** Absolute path of setpriv: the command runs with no_new_privs, so no setuid program gives root back. */
  readonly setpriv: string;
  /**
   * RLIMIT_NPROC, when no pids cgroup enforces the app's processes limit: set on the launcher's
   * shell with util-linux's prlimit (`ulimit -u`, which dash, Debian's /bin/sh, does not have).
   */
  readonly processLimit?: { readonly count: number; readonly prlimit: string };
}

/**
 * What a container worker runs (`runtime.isolation: "container"`): its command starts the app's
 * container, and gets none of the app's variables, only `env` (PATH, PORT, BIND_ADDRESS,
 * HOP3_INSTANCE, HOP3_ENV_FILE and the HOP3_LIMIT_* variables).
 */
export interface ContainerLauncherSpec {
  readonly app: string;
  readonly worker: string;
  readonly index: number;
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
  readonly workingDir: string;
  readonly pidFile: string;
  readonly setpriv: string;
  /** Absolute path of env: `env -i` starts the command with exactly `env`. */
  readonly envProgram: string;
}

// The emperor tells its vassals about itself through UWSGI_* variables; a worker that runs uWSGI
// itself would take them as its own and believe it is a vassal.
const UNSET_UWSGI_VARIABLES = "for hop3_name in $(env | sed -n 's/^\\(UWSGI_[A-Za-z0-9_]*\\)=.*/\\1/p'); do unset \"$hop3_name\"; done; unset hop3_name";

/**
 * Renders the shell script a vassal runs for one worker instance, as the app's user. Every user
 * value (variables, command, directories) is single-quoted here, so none of it can reach the
 * vassal file, and a newline, `$`, `%` or quote in a value arrives in the process verbatim. The
 * command gets umask 027 and runs through `setpriv --no-new-privs`.
 */
export function renderLauncher(spec: LauncherSpec): string {
  const { preamble, run } = launcherPreamble(spec);
  return [...preamble, `exec ${run}`, ""].join("\n");
}

/**
 * A launcher's lines up to the command (header, umask, variables, PATH, limits, pid file, working
 * directory), and the command as it runs (`setpriv --no-new-privs /bin/sh -c ...`): what a cron
 * worker's launcher shares with a daemon's.
 */
export function launcherPreamble(spec: LauncherSpec): { preamble: string[]; run: string } {
  checkCommand(spec);
  for (const [name, value] of Object.entries(spec.env)) checkVariable(name, value, `The environment of worker "${spec.worker}"`);
  const lines = [
    "#!/bin/sh",
    `# Written by @hop3/deployer-uwsgi for app ${spec.app}, worker ${spec.worker}, instance ${spec.index}.`,
    "# Rewritten on every deploy: change the app, not this file.",
    `umask ${APP_UMASK}`,
    UNSET_UWSGI_VARIABLES,
    ...Object.entries(spec.env).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
  ];
  if (spec.pathPrepend.length > 0) lines.push(`export PATH=${shellQuote(spec.pathPrepend.join(":"))}"\${PATH:+:\$PATH}"`);
  if (spec.processLimit !== undefined) {
    const count = Math.floor(spec.processLimit.count);
    lines.push(`${shellQuote(spec.processLimit.prlimit)} --pid $$ --nproc=${count}:${count} || exit 1`);
  }
  lines.push(`echo $$ > ${shellQuote(spec.pidFile)}`, `cd ${shellQuote(spec.workingDir)} || exit 1`);
  return { preamble: lines, run: `${shellQuote(spec.setpriv)} --no-new-privs /bin/sh -c ${shellQuote(spec.command)}` };
}

/**
 * Renders the launcher of a container worker. It runs as root (the docker CLI needs the engine's
 * socket), so it starts the command with a clean environment (`env -i`): the app's variables reach
 * the container only through the env file, never a root process on the host.
 */
export function renderContainerLauncher(spec: ContainerLauncherSpec): string {
  checkCommand(spec);
  for (const [name, value] of Object.entries(spec.env)) checkVariable(name, value, `The environment of worker "${spec.worker}"`);
  const assignments = Object.entries(spec.env).map(([name, value]) => shellQuote(`${name}=${value}`));
  return [
    "#!/bin/sh",
    `# Written by @hop3/deployer-uwsgi for app ${spec.app}, worker ${spec.worker}, instance ${spec.index} (container isolation).`,
    "# Rewritten on every deploy: change the app, not this file. The app's variables are in $HOP3_ENV_FILE.",
    `umask ${APP_UMASK}`,
    `echo $$ > ${shellQuote(spec.pidFile)}`,
    `cd ${shellQuote(spec.workingDir)} || exit 1`,
    `exec ${shellQuote(spec.envProgram)} -i ${assignments.join(" ")} ${shellQuote(spec.setpriv)} --no-new-privs /bin/sh -c ${shellQuote(spec.command)}`,
    "",
  ].join("\n");
}

/**
 * Renders the app's variables in Docker's --env-file format: one `NAME=value` line each, read
 * verbatim (no quotes, no escapes). A value holding a newline or a carriage return cannot be
 * written so (UWSGI_CONTAINER_ENV_VALUE_INVALID names the variable).
 */
export function renderEnvFile(env: Readonly<Record<string, string>>): string {
  checkContainerEnv(env);
  return Object.entries(env)
    .map(([name, value]) => `${name}=${value}\n`)
    .join("");
}

/** Checks the app's variables can go into an env file, before anything changes. */
export function checkContainerEnv(env: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(env)) {
    checkVariable(name, value, "The app's environment");
    if (/[\n\r]/.test(value)) {
      throw uwsgiError("UWSGI_CONTAINER_ENV_VALUE_INVALID", `The value of ${name} holds a ${value.includes("\n") ? "newline" : "carriage return"}, which Docker's --env-file cannot pass to the app's container.`, {
        details: { name },
      });
    }
  }
}

function checkCommand(spec: { readonly command: string; readonly worker: string }): void {
  if (spec.command.includes("\0")) {
    throw uwsgiError("UWSGI_ENV_VALUE_INVALID", `The command of worker "${spec.worker}" contains a NUL character.`, { details: { worker: spec.worker } });
  }
}
