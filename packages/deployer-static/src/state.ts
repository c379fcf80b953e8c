import { rmdirSync } from "node:fs";
import { join } from "node:path";
import { appStateDir, ensureDir, Hop3Error, runsAsRoot, validateArtifact, type BuildArtifact, type OperationContext } from "@hop3/core";
import { staticError } from "./errors.js";

/** `<home>/apps/<app>/deploy`: Hop3's records of what runs, for Hop3 alone. */
const deployDir = (home: string, app: string): string => join(appStateDir(home, app), "deploy");

/** Where the deployed artifact is kept: `<home>/apps/<app>/deploy/static.json`. */
export const stateFile = (home: string, app: string): string => join(deployDir(home, app), "static.json");

/** Where the record lives and how it is read and written (the operation's state store). */
export type StateScope = Pick<OperationContext, "home" | "state">;

/**
 * Keeps the deployed artifact, atomically (0600, in `deploy/` 0700, root's when Hop3 is root: the
 * artifact holds the app's env values): start and restart read it back. `deploy/` is put right
 * every time, so a home written by an earlier version is fixed by the next deploy.
 */
export function saveDeployed({ home, state }: StateScope, artifact: BuildArtifact): void {
  ensureDir(deployDir(home, artifact.appName), runsAsRoot() ? { mode: 0o700, uid: 0, gid: 0 } : { mode: 0o700 });
  state.write(stateFile(home, artifact.appName), artifact);
}

/**
 * The deployed artifact, or undefined when the app was never deployed (or was destroyed). The
 * record is an artifact, a published format: checked against its schema like any other.
 */
export function loadDeployed({ home, state }: StateScope, app: string): BuildArtifact | undefined {
  const file = stateFile(home, app);
  let value: unknown;
  try {
    value = state.read(file);
  } catch (error) {
    const why = error instanceof SyntaxError ? `it is not JSON (${error.message})` : `it cannot be read (${(error as Error).message})`;
    throw staticError("STATIC_STATE_INVALID", `The record of app "${app}" is damaged: ${why}.`, { cause: error, details: { file } });
  }
  if (value === undefined) return undefined;
  try {
    return validateArtifact(value, file);
  } catch (error) {
    throw staticError("STATIC_STATE_INVALID", `The record of app "${app}" is damaged: ${Hop3Error.is(error) ? error.message : String(error)}`, { cause: error, details: { file } });
  }
}

/**
 * Removes the record, then its `deploy/` directory and the app's directory when nothing else
 * (another deployer's or a builder's files) is left in them.
 */
export function forgetDeployed({ home, state }: StateScope, app: string): void {
  state.remove(stateFile(home, app));
  for (const dir of [deployDir(home, app), appStateDir(home, app)]) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty, or already gone: either way not ours to remove
    }
  }
}
