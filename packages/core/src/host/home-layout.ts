import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { coreError } from "../error-codes.js";
import { writeFileAtomic } from "../fs.js";
import { appStateDir } from "../home.js";
import { findAppUser, runsAsRoot, type AppUser, type UserScope } from "./users.js";

/**
 * How HOP3_HOME is laid out for isolation, version 2 (version 1 had no app users: every file 0644,
 * every process root). Written to `<home>/.layout` once a home has been migrated.
 *
 * ```
 * <home>/                     root 0711   every app user may pass, none may list
 *   apps/                     root 0711
 *     <app>/                  root:<app group> 0750   the app and the web user pass
 *       app.json, releases/   root 0600 / 0700        they hold env values: Hop3 alone
 *       data/                 <app> 0700              HOME of its processes, kept across releases
 *       data/tmp/             <app> 0700              TMPDIR
 * ```
 * Plugins add their own directories under `<app>/`, with the modes their use needs.
 */
export const LAYOUT_VERSION = 2;

const LAYOUT_FILE = ".layout";
const PRIVATE_FILE = 0o600;
const PRIVATE_DIR = 0o700;
/** HOP3_HOME and apps/: traversable by app users and the web user, not listable. */
const PASSABLE_DIR = 0o711;
/** An app's directory: root's, open to the app's group (the app user and the web user). */
const APP_DIR = 0o750;

/** The directories of an app that its processes use. */
export interface AppDirs {
  /** `<home>/apps/<app>`. */
  readonly appDir: string;
  /** `<appDir>/data`: the app's own, its processes' HOME. */
  readonly dataDir: string;
  /** `<dataDir>/tmp`: its processes' TMPDIR. */
  readonly tmpDir: string;
  /** `<appDir>/source`: the source a remote deploy or a git push put there (replaceAppSource). */
  readonly sourceDir: string;
}

export const appDirsOf = (home: string, app: string): AppDirs => {
  const appDir = appStateDir(resolve(home), app);
  const dataDir = join(appDir, "data");
  return { appDir, dataDir, tmpDir: join(dataDir, "tmp"), sourceDir: join(appDir, "source") };
};

/**
 * Makes HOP3_HOME ready for isolated apps (as root; a single-user install has nothing to do):
 * HOP3_HOME and `apps/` exist with mode 0711, every directory above HOP3_HOME lets others pass
 * (HOP3_HOME_NOT_TRAVERSABLE otherwise: an app user could not reach its own files), and a home
 * laid out by an earlier version is migrated (see migrateHome). Cheap once done: a few stat calls.
 */
export function prepareHome(scope: UserScope): void {
  if (!runsAsRoot()) return;
  const home = resolve(scope.home);
  checkTraversable(home);
  ensureDir(home, { mode: PASSABLE_DIR, uid: 0, gid: 0 });
  ensureDir(join(home, "apps"), { mode: PASSABLE_DIR, uid: 0, gid: 0 });
  if (layoutVersion(home) < LAYOUT_VERSION) migrateHome(scope);
}

/**
 * An app's directories, owned as the layout says: `<app>` root and the app's group, `data/` and
 * `data/tmp/` the app user's. Modes are set every time, so a home copied or restored with other
 * modes is put right by the next operation.
 */
export function prepareAppDirs(scope: UserScope, app: string, user: AppUser): AppDirs {
  const dirs = appDirsOf(scope.home, app);
  if (!user.dedicated) {
    for (const dir of [dirs.appDir, dirs.dataDir, dirs.tmpDir]) mkdirSync(dir, { recursive: true });
    return dirs;
  }
  ensureDir(dirs.appDir, { mode: APP_DIR, uid: 0, gid: user.gid });
  ensureDir(dirs.dataDir, { mode: PRIVATE_DIR, uid: user.uid, gid: user.gid });
  ensureDir(dirs.tmpDir, { mode: PRIVATE_DIR, uid: user.uid, gid: user.gid });
  return dirs;
}

/** How a directory must be: its mode and, as root, its owner. */
export interface DirOwnership {
  readonly mode: number;
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * Creates a directory (and its parents) or puts an existing one right: mode, and owner when
 * given. A symlink in its place is refused rather than followed, so no path an app controls can
 * turn Hop3's chown onto another file.
 */
export function ensureDir(path: string, ownership: DirOwnership): void {
  mkdirSync(dirname(path), { recursive: true });
  let stat = lstatOrUndefined(path);
  if (stat === undefined) {
    mkdirSync(path, { mode: ownership.mode });
    stat = lstatSync(path);
  }
  if (!stat.isDirectory()) {
    throw coreError("STATE_PATH_UNSAFE", `${path} should be a directory of Hop3's and is ${stat.isSymbolicLink() ? "a symbolic link" : "a file"}.`, {
      details: { path },
    });
  }
  const uid = ownership.uid ?? stat.uid;
  const gid = ownership.gid ?? stat.gid;
  if (stat.uid !== uid || stat.gid !== gid) chownSync(path, uid, gid);
  if ((stat.mode & 0o7777) !== ownership.mode) chmodSync(path, ownership.mode);
}

/** The layout version of a home: 0 before isolation existed. */
export function layoutVersion(home: string): number {
  try {
    return Number.parseInt(readFileSync(join(home, LAYOUT_FILE), "utf8"), 10) || 0;
  } catch {
    return 0;
  }
}

/** What earlier versions kept in an app's directory that holds env values: Hop3's records and the deployers'. */
const RECORDS = ["app.json", "lock", "releases", "deploy"];

/**
 * Brings a home written by an earlier version to this layout, in place: in every app's directory,
 * the files that hold env values (its record, its releases, the deployers' state and launchers)
 * become root's 0600, in directories of 0700, and the app's directory goes to its group when its
 * user exists. Builds and caches are left readable as they were, so a release built before keeps
 * running (and serving its static files) until the next deploy; plugins set the modes of their
 * own directories when they next use them. Runs once; the layout file records it.
 */
export function migrateHome(scope: UserScope): void {
  const home = resolve(scope.home);
  const apps = join(home, "apps");
  for (const app of listDir(apps)) {
    const appDir = join(apps, app);
    if (!lstatOrUndefined(appDir)?.isDirectory()) continue;
    for (const record of RECORDS) privatize(join(appDir, record));
    let user: AppUser | undefined;
    try {
      user = findAppUser(scope, app);
    } catch {
      user = undefined; // not an app name: left private
    }
    if (user?.dedicated) ensureDir(appDir, { mode: APP_DIR, uid: 0, gid: user.gid });
  }
  writeFileAtomic(join(home, LAYOUT_FILE), `${LAYOUT_VERSION}\n`);
}

/** Root-owned files 0600 and directories 0700, without following links or entering what others own. */
function privatize(path: string): void {
  const stat = lstatOrUndefined(path);
  if (stat === undefined || stat.isSymbolicLink() || stat.uid !== 0) return;
  if (stat.isDirectory()) {
    if ((stat.mode & 0o7777) !== PRIVATE_DIR) chmodSync(path, PRIVATE_DIR);
    for (const entry of listDir(path)) privatize(join(path, entry));
  } else if (stat.isFile() && (stat.mode & 0o7777) !== PRIVATE_FILE) {
    chmodSync(path, PRIVATE_FILE);
  }
}

/** Every directory above HOP3_HOME must let others pass, or no app user reaches its files. */
function checkTraversable(home: string): void {
  for (let dir = dirname(home); ; dir = dirname(dir)) {
    let mode: number;
    try {
      mode = statSync(dir).mode;
    } catch {
      mode = 0o755; // created later, by Hop3, with a mode that lets others pass
    }
    if ((mode & 0o001) === 0) {
      throw coreError("HOP3_HOME_NOT_TRAVERSABLE", `HOP3_HOME is ${home}, inside ${dir}, which other users may not enter (mode ${(mode & 0o777).toString(8)}): no app user could reach its own files.`, {
        details: { home, dir, mode: (mode & 0o777).toString(8) },
      });
    }
    if (dirname(dir) === dir) return;
  }
}

/** Where root kept its state before this version, when that holds apps and HOP3_HOME is not set. */
export function legacyRootHome(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (!runsAsRoot() || env.HOP3_HOME) return undefined;
  const old = join(env.HOME || "/root", ".local", "share", "hop3");
  return existsSync(join(old, "apps")) && listDir(join(old, "apps")).length > 0 ? old : undefined;
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
