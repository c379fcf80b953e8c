import { realpathSync, statSync, type Stats } from "node:fs";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { runCommand, type CommandRunner } from "../command.js";
import { coreError } from "../error-codes.js";
import type { Logger } from "../logger.js";
import { findProgram } from "../programs.js";
import type { AppUser } from "./users.js";

/** What an app's processes take from Hop3's environment. Nothing else of it (tokens, DOCKER_HOST, Hop3's settings) reaches them. */
export const APP_INHERITED_ENV: readonly string[] = ["PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ"];

/** The umask of every process of an app: its files are its own and its group's (Hop3's web user reads what it serves), never the world's. */
export const APP_UMASK = "027";

const SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The environment every process of an app starts from: PATH and the locale from Hop3's
 * environment, then the app user's HOME, USER, LOGNAME and TMPDIR (`<data>/tmp`).
 */
export function appProcessEnv(user: AppUser, hop3Env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of APP_INHERITED_ENV) {
    const value = hop3Env[name];
    if (value !== undefined) env[name] = value;
  }
  env.PATH = searchablePath(env.PATH ?? SYSTEM_PATH, user);
  return { ...env, HOME: user.home, USER: user.name, LOGNAME: user.name, TMPDIR: join(user.home, "tmp") };
}

/**
 * PATH without the directories the app's user cannot search (a tool installed under /root, such as
 * pyenv's shims): a program is then found where the app can run it, or reported missing, rather
 * than failing with "Permission denied". Directories that do not exist yet are kept.
 */
export function searchablePath(path: string, user: AppUser): string {
  if (!user.dedicated) return path;
  return path
    .split(delimiter)
    .filter((dir) => dir !== "" && (!isAbsolute(dir) || canSearch(dir, user)))
    .join(delimiter);
}

/**
 * PATH without the directories that users other than their owners cannot search: where a program
 * must be for every app's user to run it (`hop3 setup` counts a tool under /root as missing).
 */
export function pathSearchableByAll(path: string): string {
  return path
    .split(delimiter)
    .filter((dir) => dir !== "" && (!isAbsolute(dir) || canSearch(dir)))
    .join(delimiter);
}

/** Whether `user` (absent: any user but the owners) may search every directory down to `dir`. */
function canSearch(dir: string, user?: Pick<AppUser, "uid" | "gid">): boolean {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return true; // not there (yet): nothing to judge
  }
  for (let current = real; ; current = dirname(current)) {
    let stat: Stats;
    try {
      stat = statSync(current);
    } catch {
      return true;
    }
    const bit = user === undefined ? 0o001 : stat.uid === user.uid ? 0o100 : stat.gid === user.gid ? 0o010 : 0o001;
    if ((stat.mode & bit) === 0) return false;
    if (dirname(current) === current) return true;
  }
}

/** How `runAsUser` runs programs. */
export interface RunAsOptions {
  /** Hop3's environment: PATH and the locale are taken from it (see appProcessEnv). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
  /** What runs the wrapped command (default runCommand): an operation's, so a swapped runner sees the app's commands too. */
  readonly runner?: CommandRunner;
  /** Supplementary groups besides the app's own (e.g. nix-users, to reach the nix daemon). */
  readonly extraGroups?: readonly number[];
}

/**
 * A command runner whose programs run as the app's user: with root, `setpriv` switches to the
 * app's uid and gid (no other group but `extraGroups`), drops every capability, bounding set
 * included, and sets no_new_privs, so no setuid program can give root back. Either way the
 * program gets umask 027 and only the environment given to it on top of `appProcessEnv`: the
 * caller's `env` option is the whole of what the app adds. Errors are core's usual ones
 * (COMMAND_NOT_FOUND, COMMAND_FAILED...), naming the program, not the wrapper.
 */
export function runAsUser(user: AppUser, options: RunAsOptions): CommandRunner {
  const base = appProcessEnv(user, options.env);
  return (file, args, runOptions = {}) => {
    const env = { ...base, ...definedOnly(runOptions.env ?? {}) };
    const commandLine = [file, ...args].join(" ");
    const program = findProgram(file, env);
    if (program === undefined) {
      throw coreError("COMMAND_NOT_FOUND", `${file} is not installed or not on PATH (needed for ${runOptions.purpose ?? `\`${commandLine}\``}).`, {
        ...(runOptions.notFoundHint !== undefined && { hint: runOptions.notFoundHint }),
        details: { command: commandLine, cwd: runOptions.cwd, path: env.PATH },
      });
    }
    const argv = [...privilegeDrop(user, options.extraGroups ?? []), "/bin/sh", "-c", `umask ${APP_UMASK} && exec "$0" "$@"`, program, ...args];
    return (options.runner ?? runCommand)(argv[0]!, argv.slice(1), {
      ...(options.logger && { logger: options.logger }),
      ...(options.signal && { signal: options.signal }),
      ...runOptions,
      purpose: runOptions.purpose ?? `\`${commandLine}\``,
      env,
      extendEnv: false,
    });
  };
}

/**
 * The argv prefix that makes what follows run as the app's user, or nothing when there is no
 * dedicated user (a single-user install: Hop3 is not root and has nothing to drop). Shared by
 * every place that starts an app's process outside uWSGI.
 */
export function privilegeDrop(user: AppUser, extraGroups: readonly number[] = []): string[] {
  if (!user.dedicated) return [];
  const setpriv = findProgram("setpriv", { PATH: SYSTEM_PATH });
  if (setpriv === undefined) {
    throw coreError("APP_USER_FAILED", `setpriv (util-linux) is not installed: Hop3 needs it to run app "${user.name}"'s commands as its own user.`, {
      hint: "Install util-linux (`apt-get install util-linux`); it is part of every Debian and Ubuntu system.",
      details: { user: user.name },
    });
  }
  const groups = [...new Set([user.gid, ...extraGroups])].join(",");
  return [setpriv, `--reuid=${user.uid}`, `--regid=${user.gid}`, `--groups=${groups}`, "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"];
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  return out;
}
