import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { ensureAppUser, ensureDir, prepareAppDirs, prepareHome, type AppUser, type BuildArtifact, type Router } from "@hop3/core";
import { testDeployContext } from "@hop3/test-support";

export { httpGet, freePort, caught } from "@hop3/test-support";

/** The repository's fixtures, proven against the real nix-build. */
export const FIXTURES = resolve(import.meta.dirname, "..", "..", "..", "test-fixtures");

const made: string[] = [];

/** A fresh temporary directory, removed by `removeTempDirs`. */
export function tempDir(prefix = "hop3-static-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every directory `tempDir` and `makeDir` made. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * An app's working directory with the given files (path -> content), readable by everyone as a
 * Nix store path is: as root, nginx's workers run as the web user, which cannot enter a private
 * temporary directory (mkdtemp makes them 0700).
 */
export function makeDir(files: Record<string, string>): string {
  const dir = tempDir("hop3-static-app-");
  chmodSync(dir, 0o755);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, path), content, { mode: 0o644 });
  }
  return dir;
}

/**
 * A release as the Local builder leaves it, readable by the app's group only: the app's user and
 * group (core's ensureAppUser, which adds the web user to the group), `<home>/apps/<app>/builds/`
 * root's and the group's 0750, the release tree the app user's with umask 027.
 */
export function localRelease(home: string, app: string, files: Record<string, string>, release = "r1"): { user: AppUser; dir: string } {
  const scope = { home, env: process.env };
  prepareHome(scope);
  const user = ensureAppUser(scope, app);
  const { appDir } = prepareAppDirs(scope, app, user);
  const builds = join(appDir, "builds");
  ensureDir(builds, { mode: 0o750, uid: 0, gid: user.gid });
  const dir = join(builds, release);
  const owned = { mode: 0o750, uid: user.uid, gid: user.gid };
  ensureDir(dir, owned);
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    const parents: string[] = [];
    for (let parent = dirname(file); parent !== dir; parent = dirname(parent)) parents.unshift(parent);
    for (const parent of parents) ensureDir(parent, owned);
    writeFileSync(file, content, { mode: 0o640 });
    chownSync(file, user.uid, user.gid);
  }
  return { user, dir };
}

/** A static artifact as a builder would hand it over: one `static` worker naming a directory. */
export function staticArtifact(app: string, workingDir: string, dir = "public", extra: Partial<BuildArtifact["runtime"]> = {}): BuildArtifact {
  return {
    apiVersion: 1,
    kind: "static",
    location: workingDir,
    builder: "local",
    appName: app,
    buildId: `test-${Math.random().toString(36).slice(2, 8)}`,
    builtAt: new Date().toISOString(),
    metadata: {},
    runtime: { workers: { static: dir }, env: {}, path: [], workingDir, ...extra },
  };
}

export const deployContext = (home: string, router: Router, domains: string[] = []) => testDeployContext(home, router, { domains });

/** Every file and directory under a directory, relative (missing directory: none). */
export function listTree(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true }).map(String).sort();
  } catch {
    return [];
  }
}

