import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { appStateDir, validateArtifact, writeJsonAtomic, type BuildArtifact } from "@hop3/core";
import { cliError } from "../errors.js";

/** One deploy of an app: what was built, with what, and how it ended. Never changed but for its status. */
export interface Release {
  readonly id: string;
  readonly app: string;
  readonly createdAt: string;
  /** The directory it was built from. */
  readonly source: string;
  readonly builder: string;
  readonly deployer: string;
  readonly artifact: BuildArtifact;
  readonly status: "live" | "failed" | "superseded";
  readonly error?: { readonly code: string; readonly message: string };
}

const releasesDir = (home: string, app: string) => join(appStateDir(home, app), "releases");

export function writeRelease(home: string, release: Release): void {
  writeJsonAtomic(join(releasesDir(home, release.app), `${release.id}.json`), release);
}

/** The app's releases, oldest first (ids sort by time). */
export function listReleases(home: string, app: string): Release[] {
  const dir = releasesDir(home, app);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => readRelease(join(dir, file)));
}

function readRelease(path: string): Release {
  let release: Release;
  try {
    release = JSON.parse(readFileSync(path, "utf8")) as Release;
  } catch (error) {
    throw cliError("APP_STATE_CORRUPT", `${path} cannot be read: ${(error as Error).message}.`, { cause: error, details: { file: path } });
  }
  return { ...release, artifact: validateArtifact(release.artifact, path) };
}

/** The release that runs the app: the live one, else the newest (a failed first deploy), for status and logs. */
export function currentRelease(home: string, app: string, liveId: string | undefined): Release | undefined {
  const releases = listReleases(home, app);
  return releases.find((r) => r.id === liveId) ?? releases.at(-1);
}
