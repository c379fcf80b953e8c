import { existsSync, renameSync, rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { appDirsOf } from "../host/home-layout.js";

/**
 * Puts a complete source tree (an upload, a pushed commit), prepared in a directory beside it, in
 * the place of the app's source directory `<home>/apps/<app>/source`, and returns that path. Two
 * renames on one file system: a reader sees the old tree or the new one, never a mix, and a tree
 * that was not complete never gets there. The old tree is removed after. The caller holds the
 * app's lock and owns `fromDir` as it must be owned (the app's user).
 */
export function replaceAppSource(home: string, app: string, fromDir: string): string {
  const { appDir, sourceDir } = appDirsOf(home, app);
  if (dirname(resolve(fromDir)) !== appDir) throw new Error(`replaceAppSource: ${fromDir} is not in ${appDir}`);
  const old = `${sourceDir}.old-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  if (existsSync(sourceDir)) renameSync(sourceDir, old);
  renameSync(fromDir, sourceDir);
  rmSync(old, { recursive: true, force: true });
  return sourceDir;
}
