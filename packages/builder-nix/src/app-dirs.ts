import { chmodSync, lstatSync, readdirSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { ensureDir, Hop3Error, isInside, syncTree, type AppSource, type AppUser, type DirOwnership, type SyncResult } from "@hop3/core";
import { nixError } from "./errors.js";

/**
 * The Nix builder's directories in an app's state directory:
 *
 * ```
 * <app>/nix/              root:<app group> 0750
 *   src/                  root:<app group> 0750
 *     <app>/              Hop3's copy of the sources, files readable by whoever passes src/
 *   gcroots/              root 0700: one link per release (nix-store --add-root)
 * ```
 * They are created or put right every time they are used.
 */
export const nixDir = (appStateDir: string): string => join(appStateDir, "nix");

/** Where the app's user builds: Hop3's copy of the directory `hop3 deploy` was given. */
export const sourceCopyDir = (appStateDir: string, app: string): string => join(nixDir(appStateDir), "src", app);

/** Open to the app's group (its user, and Hop3's web user), owned by root; a single-user install owns its own. */
const shared = (user: AppUser): DirOwnership => (user.dedicated ? { mode: 0o750, uid: 0, gid: user.gid } : { mode: 0o750 });

/** `<app>/nix/`, as the layout says. */
export function prepareNixDir(appStateDir: string, user: AppUser): string {
  ensureDir(nixDir(appStateDir), shared(user));
  return nixDir(appStateDir);
}

/** `<app>/nix/gcroots/`: Hop3's alone. */
export function prepareGcRootsDir(dir: string, appStateDir: string, user: AppUser): void {
  prepareNixDir(appStateDir, user);
  ensureDir(dir, user.dedicated ? { mode: 0o700, uid: 0, gid: 0 } : { mode: 0o700 });
}

/** What copying the sources did. */
export interface SourceCopy extends SyncResult {
  /** The copy: where nix runs. */
  readonly dir: string;
}

/**
 * Copies the app directory into `<app>/nix/src/<app>/`, where the app's user can read it (the
 * directory given to `hop3 deploy` may be one it cannot enter, under /root say). Only what changed
 * is copied again (core's syncTree: an unchanged redeploy costs a stat per file), links are copied
 * as links and never followed. The copy is root's; every entry in it is made readable, since only
 * the app's group may pass `nix/src/`. The directory keeps the app's name, so `src = ./.;` still
 * names its store path after the app. A failure is NIX_SOURCE_COPY_FAILED.
 */
export function copyAppSources(app: AppSource, appStateDir: string, user: AppUser): SourceCopy {
  const target = sourceCopyDir(appStateDir, app.name);
  const failed = (why: string, cause?: unknown) =>
    nixError("NIX_SOURCE_COPY_FAILED", `The sources of "${app.name}" could not be copied from ${app.dir} to ${target}: ${why}.`, {
      ...(cause !== undefined && { cause }),
      details: { app: app.name, source: app.dir, target },
    });
  try {
    prepareNixDir(appStateDir, user);
    ensureDir(dirname(target), shared(user));
  } catch (error) {
    if (Hop3Error.is(error)) throw error;
    throw failed((error as Error).message, error);
  }
  const source = realpathSync(app.dir);
  const copy = join(realpathSync(dirname(target)), app.name);
  if (copy === source) return { dir: target, copied: 0, removed: 0, files: 0 };
  // A copy inside what it copies would copy itself forever.
  if (isInside(copy, source)) throw failed(`${target} lies inside the app directory`);
  try {
    const result = syncTree(source, target);
    if (user.dedicated) openToReaders(target);
    return { dir: target, ...result };
  } catch (error) {
    throw failed((error as Error).message, error);
  }
}

/**
 * Directories 0755 and files 0644 (0755 when the owner may run them). syncTree keeps the modes of
 * the sources, and a file that only its owner may read (0600, common under /root) would be one
 * that the app's user cannot build from. Links are left alone; nothing is followed.
 */
function openToReaders(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  const wanted = stat.isDirectory() || stat.mode & 0o100 ? 0o755 : 0o644;
  if ((stat.mode & 0o7777) !== wanted) chmodSync(path, wanted);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) openToReaders(join(path, entry));
}
