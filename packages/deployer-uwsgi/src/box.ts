import { closeSync, fchownSync, lstatSync, openSync, readFileSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import {
  detectCgroups,
  ensureAppUser,
  ensureDir,
  findAppUser,
  findProgram,
  prepareAppDirs,
  prepareCgroup,
  prepareHome,
  readHop3Config,
  runsAsRoot,
  unenforceableLimits,
  writeFileAtomic,
  type AppLimits,
  type AppUser,
  type CgroupSupport,
  type DirOwnership,
  type OperationContext,
} from "@hop3/core";
import { uwsgiError } from "./errors.js";
import type { AppLayout, EmperorLayout, Slot } from "./layout.js";

/** Where the system programs every worker starts through are looked for: never an app's PATH. */
export const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** What an app's processes run in: its user, its limits, and how this host enforces them. */
export interface AppBox {
  readonly user: AppUser;
  readonly limits: AppLimits;
  readonly cgroups: CgroupSupport;
  /** Absolute path of setpriv, which sets no_new_privs on every worker. */
  readonly setpriv: string;
  /** Absolute path of env, which starts a container worker with a clean environment. */
  readonly env: string;
}

/** A file's owner, set when Hop3 runs as root (a single-user install owns everything already). */
export interface FileOwner {
  readonly uid: number;
  readonly gid: number;
}

/** Who owns the files an app's processes write (its launchers and pid files): its user, when it has one of its own. */
export const appOwner = (user: AppUser): FileOwner | undefined => (user.dedicated ? { uid: user.uid, gid: user.gid } : undefined);

/** Root, when Hop3 runs as root. */
export const rootOwner = (): FileOwner | undefined => (runsAsRoot() ? { uid: 0, gid: 0 } : undefined);

const rootDir = (mode: number): DirOwnership => (runsAsRoot() ? { mode, uid: 0, gid: 0 } : { mode });

/**
 * The emperor's directories: `uwsgi/` and `uwsgi/sockets/` root 0711 (app users pass to their
 * own socket directory), `uwsgi/vassals/` root 0700.
 */
export function ensureEmperorDirs(emperor: EmperorLayout): void {
  ensureDir(emperor.root, rootDir(0o711));
  ensureDir(emperor.vassals, rootDir(0o700));
  ensureDir(emperor.sockets, rootDir(0o711));
}

/**
 * Makes the app's box, once per operation: HOP3_HOME ready for app users, the app's user (made if
 * missing), its directories as the layout says, its limits (`context.limits`, else Hop3's config)
 * and the programs its workers start through. Called by every operation that starts processes, so
 * the deployer works when called directly, and a home laid out by an earlier version is put right.
 */
export function prepareBox(context: OperationContext & { readonly limits?: AppLimits }, emperor: EmperorLayout, layout: AppLayout): AppBox {
  const scope = { home: context.home, env: context.env };
  prepareHome(scope);
  const user = ensureAppUser(scope, layout.app);
  prepareAppDirs(scope, layout.app, user);
  ensureEmperorDirs(emperor);
  ensureDir(layout.deployDir, rootDir(0o700));
  ensureDir(layout.runDir, rootDir(0o711));
  ensureDir(layout.logsDir, rootDir(0o700));
  const owner = appOwner(user);
  ensureDir(layout.socketDir, { mode: 0o700, ...owner });
  return {
    user,
    limits: context.limits ?? readHop3Config(context.env).limits,
    cgroups: detectCgroups(),
    setpriv: systemProgram("setpriv"),
    env: systemProgram("env"),
  };
}

/** The app's user if it exists; never makes one (stop, status and destroy must not). */
export function existingAppUser(context: OperationContext, app: string): AppUser | undefined {
  return findAppUser({ home: context.home, env: context.env }, app);
}

/**
 * The cgroup of one release slot of the app, made and given its limits now; the `cgroup.procs`
 * files its vassal's master writes its pid to before dropping privileges. Empty when Hop3 cannot
 * make cgroups (not root).
 */
export const releaseCgroup = (box: AppBox, slot: Slot): string[] => prepareCgroup(box.cgroups, box.user.name, slot, box.limits);

/**
 * Without a pids controller, the processes limit falls back to RLIMIT_NPROC (`ulimit -u`), which
 * the kernel counts per user: only an app with a user of its own can have it.
 */
export function processLimitFallback(box: AppBox): { count: number; prlimit: string } | undefined {
  const count = box.limits.processes;
  if (count === undefined || !box.user.dedicated || !box.cgroups.writable || box.cgroups.controllers.pids !== undefined) return undefined;
  return { count, prlimit: systemProgram("prlimit") };
}

/** One line per limit this host cannot enforce (the processes limit counts as enforced when `ulimit -u` stands in for it). */
export function limitWarnings(box: AppBox): string[] {
  const { processes: _enforcedByRlimit, ...others } = box.limits;
  return unenforceableLimits(processLimitFallback(box) === undefined ? box.limits : others, box.cgroups);
}

function systemProgram(name: string): string {
  const program = findProgram(name, { PATH: SYSTEM_PATH });
  if (program === undefined) {
    throw uwsgiError("UWSGI_SYSTEM_PROGRAM_MISSING", `${name} was not found in ${SYSTEM_PATH}; every worker of an app starts through it.`, { details: { program: name } });
  }
  return program;
}

/**
 * Writes a file atomically with mode 0600 and the owner given, unless it already is exactly that;
 * true when it was written. Only for directories root alone writes (`run/`): the temporary file
 * is given its owner before it is renamed into place, so the file is never seen half-owned.
 */
export function writeOwnedFile(path: string, content: string, owner: FileOwner | undefined): boolean {
  if (isCurrent(path, content, owner)) return false;
  const temporary = join(dirname(path), `.tmp-owned-${basename(path)}-${process.pid}`);
  try {
    writeFileAtomic(temporary, content, 0o600);
    if (owner !== undefined) fchownPath(temporary, owner);
    renameSync(temporary, path);
  } finally {
    rmSync(temporary, { force: true });
  }
  return true;
}

/**
 * An instance's pid file, made before its launcher runs so that it is owned as it must be: by the
 * app's user when the launcher runs as it, by root when it runs as root (container isolation). A
 * file owned otherwise, or not a regular file, is replaced; a right one keeps its content.
 */
export function preparePidFile(path: string, owner: FileOwner | undefined): void {
  const stat = lstatOrUndefined(path);
  if (stat?.isFile() && (owner === undefined || (stat.uid === owner.uid && stat.gid === owner.gid))) return;
  rmSync(path, { force: true, recursive: true });
  const fd = openSync(path, "wx", 0o600);
  try {
    if (owner !== undefined) fchownSync(fd, owner.uid, owner.gid);
  } finally {
    closeSync(fd);
  }
}

/** True when the file is already what writeOwnedFile would write. */
export function isCurrent(path: string, content: string, owner: FileOwner | undefined): boolean {
  const stat = lstatOrUndefined(path);
  if (!stat?.isFile() || (stat.mode & 0o777) !== 0o600) return false;
  if (owner !== undefined && (stat.uid !== owner.uid || stat.gid !== owner.gid)) return false;
  try {
    return readFileSync(path, "utf8") === content;
  } catch {
    return false;
  }
}

function fchownPath(path: string, owner: FileOwner): void {
  const fd = openSync(path, "r");
  try {
    fchownSync(fd, owner.uid, owner.gid);
  } finally {
    closeSync(fd);
  }
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
