import { existsSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { appStateDir } from "../home.js";

/** `<HOP3_HOME>/apps/<app>/source`: the source sent to the server (an upload, a `git push`), deployed from there. */
export const appSourceDir = (home: string, app: string): string => join(appStateDir(resolve(home), app), "source");

/**
 * Swaps a complete directory in as the app's source, once it is whole: the old source is moved
 * aside, the new one renamed into place, the old one removed. `fromDir` must be on the same
 * filesystem (a directory beside it, in the app's directory). If the rename fails, the old source
 * is put back, so an app never has half a source.
 */
export function replaceAppSource(home: string, app: string, fromDir: string): string {
  const target = appSourceDir(home, app);
  const aside = `${target}.old-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const hadOne = existsSync(target);
  if (hadOne) renameSync(target, aside);
  try {
    renameSync(fromDir, target);
  } catch (error) {
    if (hadOne) renameSync(aside, target);
    throw error;
  }
  if (hadOne) rmSync(aside, { recursive: true, force: true });
  return target;
}
