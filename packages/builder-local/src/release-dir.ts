import { chmodSync, chownSync, copyFileSync, constants, lchownSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { ensureDir, type AppUser } from "@hop3/core";
import { hop3Dir, removeAppTree, type AppTreeContext } from "./app-files.js";
import { localError } from "./errors.js";
import { createIgnoreFilter } from "./ignore.js";

/** Where an app's releases are built: `<appStateDir>/builds`. */
export const buildsDir = (appStateDir: string): string => join(appStateDir, "builds");

/** The directory of one release. */
export const releaseDir = (appStateDir: string, releaseId: string): string => join(buildsDir(appStateDir), releaseId);

/**
 * Makes (or puts right) `builds/`: root's and the app's group, mode 0750, so the app and the web
 * user reach their releases and neither can add, swap or remove one.
 */
export function prepareBuildsDir(appStateDir: string, user: AppUser): string {
  const dir = buildsDir(appStateDir);
  ensureDir(dir, hop3Dir(user));
  return dir;
}

/** A source directory's mode in a release: owner rwx, group r-x; never writable by others, no set-id bit. */
export const releaseDirMode = (mode: number): number => (mode & 0o755) | 0o750;
/** A source file's mode in a release: owner rw, group r (the web user serves static files); execute bits kept. */
export const releaseFileMode = (mode: number): number => (mode & 0o755) | 0o640;

/**
 * Copies the app's sources into a new release directory, leaving out what `createIgnoreFilter`
 * ignores; links are copied as links, never followed. The copy is made by root under a temporary
 * name that only root may enter; each entry is given to `owner` (the app) as it is made, then the
 * whole is renamed into place, so a release is never half-copied and the app never sees the copy
 * being made. Without `owner` (tests, a single-user install) entries keep the copier's ownership.
 * The target's directory must exist. Returns the number of files copied.
 */
export function copySources(appDir: string, target: string, ignore: readonly string[], owner?: AppUser): number {
  const temporary = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const ignored = createIgnoreFilter(appDir, ignore);
  const give = (path: string): void => {
    if (owner?.dedicated) lchownSync(path, owner.uid, owner.gid);
  };
  let files = 0;
  const walk = (relative: string): void => {
    const from = relative === "" ? appDir : join(appDir, relative);
    const to = relative === "" ? temporary : join(temporary, relative);
    if (relative !== "") {
      mkdirSync(to, { mode: 0o700 });
      chmodSync(to, releaseDirMode(lstatSync(from).mode));
      give(to);
    }
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (ignored(path, entry.isDirectory())) continue;
      const source = join(from, entry.name);
      const copy = join(to, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isSymbolicLink()) {
        symlinkSync(readlinkSync(source), copy);
        give(copy);
      } else if (entry.isFile()) {
        copyFileSync(source, copy, constants.COPYFILE_FICLONE);
        chmodSync(copy, releaseFileMode(lstatSync(source).mode));
        give(copy);
        files++;
      }
      // Sockets, FIFOs and devices are not sources: left out.
    }
  };
  try {
    // Root's alone while it is filled: nothing of the app's can reach into it before it is whole.
    mkdirSync(temporary, { mode: 0o700 });
    chmodSync(temporary, 0o700);
    walk("");
    if (owner?.dedicated) chownSync(temporary, owner.uid, owner.gid);
    chmodSync(temporary, releaseDirMode(lstatSync(appDir).mode));
    renameSync(temporary, target);
  } catch (error) {
    // Still root's alone (the rename did not happen): root removes it.
    rmSync(temporary, { recursive: true, force: true });
    throw localError("LOCAL_SOURCE_COPY_FAILED", `Could not copy ${appDir} into ${target}: ${(error as Error).message}.`, {
      cause: error,
      details: { appDir, target },
    });
  }
  return files;
}

/**
 * Removes a release directory (as the app: see removeAppTree), refusing anything that is not
 * directly under `builds/`. Returns whether the path was a release's.
 */
export async function removeRelease(context: AppTreeContext & { readonly appStateDir: string }, dir: string): Promise<boolean> {
  const builds = buildsDir(context.appStateDir);
  const absolute = resolve(dir);
  if (dirname(absolute) !== builds || basename(absolute) === "" || absolute.slice(builds.length + 1).includes(sep)) return false;
  await removeAppTree(context, absolute);
  return true;
}
