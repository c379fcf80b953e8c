import { copyFileSync, constants, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { localError } from "./errors.js";
import { createIgnoreFilter } from "./ignore.js";

/** Where an app's releases are built: `<appStateDir>/builds`. */
export const buildsDir = (appStateDir: string): string => join(appStateDir, "builds");

/** The directory of one release. */
export const releaseDir = (appStateDir: string, releaseId: string): string => join(buildsDir(appStateDir), releaseId);

/**
 * Copies the app's sources into a new release directory, leaving out what `createIgnoreFilter`
 * ignores. The copy goes to a temporary name first and is renamed into place, so a release
 * directory is never half-copied. Returns the number of files copied.
 */
export function copySources(appDir: string, target: string, ignore: readonly string[]): number {
  const temporary = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const ignored = createIgnoreFilter(appDir, ignore);
  let files = 0;
  const walk = (relative: string): void => {
    const from = relative === "" ? appDir : join(appDir, relative);
    const to = relative === "" ? temporary : join(temporary, relative);
    mkdirSync(to, { recursive: true, mode: lstatSync(from).mode & 0o7777 });
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (ignored(path, entry.isDirectory())) continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(join(from, entry.name)), join(to, entry.name));
      else if (entry.isFile()) {
        copyFileSync(join(from, entry.name), join(to, entry.name), constants.COPYFILE_FICLONE);
        files++;
      }
      // Sockets, FIFOs and devices are not sources: left out.
    }
  };
  try {
    mkdirSync(resolve(target, ".."), { recursive: true });
    walk("");
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    throw localError("LOCAL_SOURCE_COPY_FAILED", `Could not copy ${appDir} into ${target}: ${(error as Error).message}.`, {
      cause: error,
      details: { appDir, target },
    });
  }
  return files;
}

/** Removes a release directory, refusing anything that is not directly under `builds/`. */
export function removeRelease(appStateDir: string, dir: string): boolean {
  const builds = buildsDir(appStateDir);
  const absolute = resolve(dir);
  if (!absolute.startsWith(builds + sep) || absolute.slice(builds.length + 1).includes(sep)) return false;
  rmSync(absolute, { recursive: true, force: true });
  return true;
}
