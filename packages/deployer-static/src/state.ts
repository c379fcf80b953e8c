import { readFileSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { appStateDir, ensureDir, Hop3Error, runsAsRoot, validateArtifact, writeJsonAtomic, type BuildArtifact } from "@hop3/core";
import { staticError } from "./errors.js";

/** `<home>/apps/<app>/deploy`: Hop3's records of what runs, for Hop3 alone. */
const deployDir = (home: string, app: string): string => join(appStateDir(home, app), "deploy");

/** Where the deployed artifact is kept: `<home>/apps/<app>/deploy/static.json`. */
export const stateFile = (home: string, app: string): string => join(deployDir(home, app), "static.json");

/**
 * Keeps the deployed artifact, atomically (0600, in `deploy/` 0700, root's when Hop3 is root: the
 * artifact holds the app's env values): start and restart read it back. `deploy/` is put right
 * every time, so a home written by an earlier version is fixed by the next deploy.
 */
export function saveDeployed(home: string, artifact: BuildArtifact): void {
  ensureDir(deployDir(home, artifact.appName), runsAsRoot() ? { mode: 0o700, uid: 0, gid: 0 } : { mode: 0o700 });
  writeJsonAtomic(stateFile(home, artifact.appName), artifact);
}

/** The deployed artifact, or undefined when the app was never deployed (or was destroyed). */
export function loadDeployed(home: string, app: string): BuildArtifact | undefined {
  const file = stateFile(home, app);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw staticError("STATIC_STATE_INVALID", `${file} cannot be read: ${(error as Error).message}.`, { cause: error, details: { file } });
  }
  try {
    return validateArtifact(JSON.parse(text), file);
  } catch (error) {
    const why = Hop3Error.is(error) ? error.message : `it is not JSON (${(error as Error).message})`;
    throw staticError("STATIC_STATE_INVALID", `The record of app "${app}" is damaged: ${why}`, { cause: error, details: { file } });
  }
}

/**
 * Removes the record, then its `deploy/` directory and the app's directory when nothing else
 * (another deployer's or a builder's files) is left in them.
 */
export function forgetDeployed(home: string, app: string): void {
  const file = stateFile(home, app);
  rmSync(file, { force: true });
  for (const dir of [deployDir(home, app), appStateDir(home, app)]) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty, or already gone: either way not ours to remove
    }
  }
}
