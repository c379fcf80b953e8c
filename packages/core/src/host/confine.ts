import { readFileSync, realpathSync } from "node:fs";
import { isAbsolute, resolve, sep } from "node:path";
import { coreError } from "../error-codes.js";
import type { BuildArtifact } from "../schemas/artifact.js";

/** True when `path` is `root` or lies under it (both already resolved). */
export const isInside = (path: string, root: string): boolean => path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);

/** The real path, links resolved; undefined when it does not exist. */
function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The directory an artifact's `static` worker serves, links resolved, or undefined when it has
 * none. It must lie inside the artifact's own location (its Nix store path, its release
 * directory): `/etc`, `..` or a link out of it is STATIC_DIR_OUTSIDE_ARTIFACT naming the path,
 * so no app can publish a file of the machine. A missing directory is left to the caller's own
 * check (it returns the path unresolved).
 */
export function confineStaticDir(artifact: BuildArtifact): string | undefined {
  const value = artifact.runtime.workers.static;
  if (value === undefined) return undefined;
  const dir = isAbsolute(value) ? resolve(value) : resolve(artifact.runtime.workingDir, value);
  const outside = (real: string) =>
    coreError("STATIC_DIR_OUTSIDE_ARTIFACT", `The static directory of app "${artifact.appName}", ${value}, is ${real === dir ? "" : `a link to ${real}, `}outside what its build produced (${artifact.location}).`, {
      details: { app: artifact.appName, path: value, resolved: real, location: artifact.location },
    });
  if (!isAbsolute(artifact.location)) throw outside(dir); // an image tag or a URL: there is no directory of its own
  const root = realPath(artifact.location) ?? resolve(artifact.location);
  const real = realPath(dir);
  if (real === undefined) {
    if (!isInside(dir, resolve(artifact.location))) throw outside(dir);
    return dir;
  }
  if (!isInside(real, root)) throw outside(real);
  return real;
}

/**
 * Reads a file of an app's directory as text, refusing one that is, or goes through, a link out
 * of that directory: Hop3 reads app files as root, and `hop3.toml -> /etc/shadow` must not put the
 * machine's secrets into an error message. CONFIG_FILE_OUTSIDE_APP names the link.
 */
export function readAppFile(appDir: string, path: string): string {
  const root = realPath(appDir) ?? resolve(appDir);
  const real = realPath(path);
  if (real !== undefined && !isInside(real, root)) {
    throw coreError("CONFIG_FILE_OUTSIDE_APP", `${path} is a link to ${real}, outside the app directory ${appDir}.`, {
      details: { file: path, target: real, appDir },
    });
  }
  return readFileSync(real ?? path, "utf8");
}
