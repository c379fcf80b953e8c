import { delimiter, isAbsolute, resolve } from "node:path";
import { coreError } from "../error-codes.js";
import { artifactShape } from "../formats/artifact-shape.js";
import { APP_UMASK, appProcessEnv, privilegeDrop } from "../host/run-as.js";
import { findAppUser, runsAsRoot, type AppUser } from "../host/users.js";
import { detectCgroups, prepareCgroup } from "../host/cgroups.js";
import type { AppLimits } from "../host/limits.js";
import { findProgram } from "../programs.js";
import { shellQuote } from "../host/shell-quote.js";
import { isValidEnvName } from "../schemas/names.js";
import { requireAppRecord } from "./app-record.js";
import { appEnvWithAddons, WORKER_BIND_ADDRESS } from "./context.js";
import type { CoreDistribution } from "./core-distribution.js";
import { listReleases } from "./releases.js";

/**
 * A one-off command of an app, ready to start: spawn `argv` with `launcherEnv`, in `cwd`, and
 * write `envScript` to its fd 3 (then close it). `argv` starts as root (prlimit, setpriv), so it
 * never gets the app's variables in its environment (an LD_PRELOAD set with `config set` would run
 * as root) nor on its command line (other users read /proc/<pid>/cmdline): the app's shell, once
 * it is the app's user, reads them from fd 3.
 */
export interface OneOffCommand {
  readonly app: string;
  /** The live release it runs in. */
  readonly release: string;
  readonly argv: readonly string[];
  /** The environment of the root part of `argv`: PATH only. */
  readonly launcherEnv: Readonly<Record<string, string>>;
  /** The environment the command gets. */
  readonly env: Readonly<Record<string, string>>;
  /** `env` as `export NAME='value'` lines, for fd 3. */
  readonly envScript: string;
  readonly cwd: string;
  readonly user: AppUser;
}

const SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * What `hop3 run APP -- CMD...` starts: CMD in the live release's environment, as its workers see
 * it (the artifact's env, its addons' variables, hop3.toml [env], the values set with `config set`, BIND_ADDRESS; PATH
 * with the release's entries first; HOME, USER, LOGNAME and TMPDIR of the app's user), in its
 * working directory, as the app's user with no_new_privs and umask 027, with its limits: in the
 * app's `run` cgroup (memory, CPU, processes, as its workers), and its open-files and processes rlimits. Never as root: an app without a user of its own, when Hop3 is root, is refused.
 * APP_NOT_FOUND, APP_NOT_LIVE (no live release), RUN_COMMAND_INVALID (an empty command, a NUL),
 * RUN_UNSUPPORTED (the release runs in a container).
 */
export function oneOffCommand(distribution: CoreDistribution, app: string, command: readonly string[]): OneOffCommand {
  if (command.length === 0 || command[0] === "" || command.some((arg) => arg.includes("\0"))) {
    throw coreError("RUN_COMMAND_INVALID", command.length === 0 || command[0] === "" ? "No command was given to run." : "An argument of the command holds a NUL character.", { details: { app } });
  }
  const record = requireAppRecord(distribution.home, app);
  const live = listReleases(distribution.home, record.name).find((release) => release.id === record.liveRelease);
  if (!live) throw coreError("APP_NOT_LIVE", `${record.name} has no live release to run a command in: its last deploy failed, or it was never deployed.`, { details: { app: record.name } });
  const { runtime } = live.artifact;
  if (artifactShape(live.artifact) === "container-image") {
    throw coreError("RUN_UNSUPPORTED", `${record.name} runs in a container: a one-off command would run on the host, outside its image.`, { details: { app: record.name } });
  }
  const user = findAppUser({ home: distribution.home, env: distribution.env }, record.name);
  if (user === undefined || (runsAsRoot() && !user.dedicated)) {
    throw coreError("RUN_UNSUPPORTED", `${record.name} has no user of its own on this server: its command would run as root.`, {
      hint: "Deploy the app again: every deploy makes the app's user when it is missing.",
      details: { app: record.name },
    });
  }

  const base = appProcessEnv(user, distribution.env);
  const env: Record<string, string> = { ...base };
  // The layers of the workers' env (see deployContext).
  for (const layer of [runtime.env, appEnvWithAddons(record), record.userEnv]) {
    for (const [name, value] of Object.entries(layer)) if (isValidEnvName(name) && !value.includes("\0") && name !== "PORT") env[name] = value;
  }
  env.BIND_ADDRESS = WORKER_BIND_ADDRESS;
  const prepend = runtime.path.map((dir) => (isAbsolute(dir) ? dir : resolve(runtime.workingDir, dir)));
  if (prepend.length > 0) env.PATH = [...prepend, env.PATH ?? base.PATH].join(delimiter);

  const envScript = Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote(value)}\n`).join("");
  // cat reads the inherited descriptor: reopening /dev/fd/3 (a pipe of root's) would be refused to the app's user.
  const shell = `umask ${APP_UMASK} && eval "$(cat <&3)" && exec 3<&- && exec "$@"`;
  const limits = record.limits ?? live.limits ?? {};
  const argv = [...joinCgroup(user, limits), ...rlimits(limits), ...privilegeDrop(user), "/bin/sh", "-c", shell, "hop3-run", ...command];
  return { app: record.name, release: live.id, argv, launcherEnv: { PATH: SYSTEM_PATH }, env, envScript, cwd: runtime.workingDir, user };
}

/**
 * The argv prefix that puts the command in the app's cgroup `hop3/<user>/run` (made now with the
 * app's limits), as root before anything else runs: its children can never leave it. Nothing when
 * Hop3 cannot make cgroups (not root); the limits Hop3 cannot enforce are warned of at deploy.
 */
function joinCgroup(user: AppUser, limits: AppLimits): string[] {
  if (!user.dedicated) return [];
  const procs = prepareCgroup(detectCgroups(), user.name, "run", limits);
  if (procs.length === 0) return [];
  const join = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';
  return ["/bin/sh", "-c", join, "hop3-cgroup", ...procs, "--"];
}

/** The limits a process can be given without a cgroup (util-linux prlimit, as root): open files, and processes (counted per user). */
function rlimits(limits: { readonly openFiles?: number; readonly processes?: number } | undefined): string[] {
  const settings = [
    ...(limits?.openFiles !== undefined ? [`--nofile=${Math.floor(limits.openFiles)}:${Math.floor(limits.openFiles)}`] : []),
    ...(limits?.processes !== undefined ? [`--nproc=${Math.floor(limits.processes)}:${Math.floor(limits.processes)}`] : []),
  ];
  if (settings.length === 0 || !runsAsRoot()) return [];
  const prlimit = findProgram("prlimit", { PATH: SYSTEM_PATH });
  return prlimit === undefined ? [] : [prlimit, ...settings, "--"];
}
