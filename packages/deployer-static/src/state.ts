import { readFileSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { appStateDir, Hop3Error, validateArtifact, writeJsonAtomic, type BuildArtifact } from "@hop3/core";
import { staticError } from "./errors.js";

/** Where the deployed artifact is kept: `<home>/apps/<app>/deploy/static.json`. */
export const stateFile = (home: string, app: string): string => join(appStateDir(home, app), "deploy", "static.json");

/** Keeps the deployed artifact, atomically: start and restart read it back. */
export function saveDeployed(home: string, artifact: BuildArtifact): void {
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
  for (const dir of [join(appStateDir(home, app), "deploy"), appStateDir(home, app)]) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty, or already gone: either way not ours to remove
    }
  }
}
