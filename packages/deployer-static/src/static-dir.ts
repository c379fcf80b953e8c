import { isAbsolute, resolve } from "node:path";
import { confineStaticDir, isDirectory, type BuildArtifact } from "@hop3/core";
import { staticError } from "./errors.js";

/** The worker that names a directory instead of a command. */
export const STATIC_WORKER = "static";

/**
 * The directory a static artifact serves: `runtime.workers.static`, relative to
 * `runtime.workingDir` when relative. Raises STATIC_WORKER_MISSING or STATIC_PROCESS_WORKERS
 * for an artifact this deployer cannot run.
 */
export function staticDirOf(artifact: BuildArtifact): string {
  const { workers, workingDir } = artifact.runtime;
  const others = Object.keys(workers).filter((name) => name !== STATIC_WORKER);
  if (others.length > 0) {
    throw staticError("STATIC_PROCESS_WORKERS", `The artifact of app "${artifact.appName}" has process workers (${others.join(", ")}); the static deployer runs no process.`, {
      details: { app: artifact.appName, workers: others },
    });
  }
  const dir = workers[STATIC_WORKER];
  if (dir === undefined || dir.trim() === "") {
    throw staticError("STATIC_WORKER_MISSING", `The artifact of app "${artifact.appName}" has no "${STATIC_WORKER}" worker.`, {
      details: { app: artifact.appName },
    });
  }
  return isAbsolute(dir) ? resolve(dir) : resolve(workingDir, dir);
}

/**
 * The directory nginx is given for a static artifact: staticDirOf's, as its real path, which must
 * lie inside the artifact's location (core's confineStaticDir: STATIC_DIR_OUTSIDE_ARTIFACT for
 * `/etc`, `..` or a link out of the build). Checked at every deploy, start and restart: a Local
 * release is its app's own, and the app may have swapped its directory for a link since.
 */
export function servedDirOf(artifact: BuildArtifact): string {
  const dir = staticDirOf(artifact);
  return confineStaticDir(artifact) ?? dir;
}

/** Raises STATIC_DIR_MISSING unless the directory exists. */
export function requireDirectory(app: string, dir: string): void {
  if (!isDirectory(dir)) {
    throw staticError("STATIC_DIR_MISSING", `The static directory of app "${app}" does not exist: ${dir}`, { details: { app, dir } });
  }
}
