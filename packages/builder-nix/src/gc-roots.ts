import { lstatSync, unlinkSync } from "node:fs";
import { join, relative, isAbsolute } from "node:path";

/** Where a release's GC root lives: one symlink per release under the app's state directory. */
export function gcRootPath(appStateDir: string, releaseId: string): string {
  // Core promises a file-name-safe id; a bad one here is a bug, not a user error.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(releaseId)) throw new Error(`release id ${JSON.stringify(releaseId)} is not a safe file name`);
  return join(gcRootsDir(appStateDir), releaseId);
}

/** The directory holding an app's GC roots. */
export const gcRootsDir = (appStateDir: string): string => join(appStateDir, "nix", "gcroots");

/**
 * Removes a release's GC root so the next garbage collection may free its closure. Only a symlink
 * inside the app's own GC roots directory is ever removed, whatever the artifact claims. Returns
 * whether a link was removed.
 */
export function removeGcRoot(link: string, appStateDir: string): boolean {
  const inside = relative(gcRootsDir(appStateDir), link);
  if (inside === "" || inside.startsWith("..") || isAbsolute(inside) || inside.includes("/")) return false;
  try {
    if (!lstatSync(link).isSymbolicLink()) return false;
  } catch {
    return false; // already gone: discarding twice is fine
  }
  unlinkSync(link);
  return true;
}
