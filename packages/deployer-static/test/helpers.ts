import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { BuildArtifact, Router } from "@hop3/core";
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

/** An app's working directory with the given files (path -> content). */
export function makeDir(files: Record<string, string>): string {
  const dir = tempDir("hop3-static-app-");
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
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

