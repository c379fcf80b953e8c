import { lstatSync, readdirSync, rmdirSync, rmSync, unlinkSync, type Stats } from "node:fs";
import { formatLastLines, silentLogger, type AppUser, type CommandRunner, type CommandResult, type DirOwnership, type Logger } from "@hop3/core";
import { localError } from "./errors.js";

/** Where the system's own programs are (rm, cp, ln): what Hop3 runs as the app for its own chores. */
export const SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * A directory of Hop3's in an app's directory (`builds/`, `cache/<toolchain>/`): root's, open to
 * the app's group (the app user and the web user pass, neither writes). In a single-user install,
 * the user running Hop3.
 */
export const hop3Dir = (user: AppUser, mode = 0o750): DirOwnership => ({ mode, uid: user.dedicated ? 0 : user.uid, gid: user.gid });

/** A directory the app owns and fills (a release, a cache entry), made by Hop3 and handed over. */
export const appDir = (user: AppUser, mode = 0o750): DirOwnership => ({ mode, uid: user.uid, gid: user.gid });

/** What removing an app-owned tree needs from the operation. */
export interface AppTreeContext {
  readonly appUser: AppUser;
  /** Runs as the app: what the app owns is removed by the app. */
  readonly runAsApp: CommandRunner;
  readonly logger: Logger;
}

/**
 * Removes `path`, an entry of a directory of Hop3's that the app cannot write (`builds/<release>`,
 * `cache/<toolchain>/<entry>`). A tree the app owns is emptied as the app (`rm -rf`), since root
 * deleting by path inside it could be led elsewhere by a link the app swaps in; root then removes
 * the emptied entry from its own directory. A link or file is unlinked (never followed), a tree of
 * root's (a release built before apps had users) removed by root. Cancellation does not stop it:
 * it is what a cancelled build cleans up with. LOCAL_CLEANUP_FAILED when something is left.
 */
export async function removeAppTree(context: AppTreeContext, path: string): Promise<void> {
  const stat = lstatOrUndefined(path);
  if (stat === undefined) return;
  if (!stat.isDirectory()) {
    unlinkSync(path);
    return;
  }
  const user = context.appUser;
  if (!user.dedicated || stat.uid === 0) {
    rmSync(path, { recursive: true, force: true });
    return;
  }
  // Not in the build's log: rm always fails on its last step, the entry itself, whose directory is root's.
  const asApp = (file: string, args: readonly string[]): Promise<CommandResult> =>
    context.runAsApp(file, args, { env: { PATH: SYSTEM_PATH }, allowFailure: true, keepLines: 10, logger: silentLogger, signal: new AbortController().signal, purpose: `removing ${path}` });
  let result = await asApp("rm", ["-rf", "--", path]);
  if (!isEmptyDir(path)) {
    // Read-only directories (Go's module cache makes them) keep their files from rm: open them first.
    await asApp("chmod", ["-R", "u+rwX", "--", path]);
    result = await asApp("rm", ["-rf", "--", path]);
  }
  try {
    rmdirSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    const lastLines = result.lastLines.filter((line) => !line.includes(`'${path}'`));
    throw localError("LOCAL_CLEANUP_FAILED", `Could not remove ${path}, a directory of app user ${user.name}: ${(error as Error).message}.${formatLastLines(lastLines)}`, {
      cause: error,
      details: { path, user: user.name, lastLines },
    });
  }
}

/** True when a directory holds nothing, or is gone. */
function isEmptyDir(path: string): boolean {
  try {
    return readdirSync(path).length === 0;
  } catch {
    return true;
  }
}

export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
