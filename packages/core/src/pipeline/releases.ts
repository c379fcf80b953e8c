import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { z } from "../vendor/zod.js";
import { coreError } from "../error-codes.js";
import { validateArtifact } from "../formats/artifact.js";
import { writeJsonAtomic } from "../fs.js";
import { appStateDir } from "../home.js";
import type { AppVolume } from "../formats/volumes.js";
import type { AppLimits } from "../host/limits.js";
import type { Logger } from "../logger.js";
import type { BuildArtifact, Healthcheck } from "../schemas/artifact.js";
import { HealthcheckStateSchema, LimitsStateSchema, readStateFile } from "./app-record.js";
import type { CoreDistribution } from "./core-distribution.js";

/**
 * One deploy of an app: what was built, from what, with what, in which environment, and how it
 * ended. Written when the build is done (`deploying`) and never changed after but for its status.
 */
export interface Release {
  readonly id: string;
  readonly app: string;
  readonly createdAt: string;
  /** The directory it was built from. */
  readonly source: string;
  readonly builder: string;
  readonly deployer: string;
  readonly artifact: BuildArtifact;
  /**
   * `deploying` while its deploy runs; `live` serves; `superseded` served and was replaced (it can be
   * rolled back to); `failed` never served; `interrupted` was being deployed when Hop3 was killed.
   */
  readonly status: "deploying" | "live" | "failed" | "superseded" | "interrupted";
  /** The environment it ran with: hop3.toml [env] of its source, and the values the user had set. */
  readonly env?: { readonly app: Readonly<Record<string, string>>; readonly user: Readonly<Record<string, string>> };
  /** hop3.toml [run] start-timeout and [healthcheck] of its source, for a rollback's health gate. */
  readonly startTimeoutSeconds?: number;
  readonly healthcheck?: Healthcheck;
  /** What it ran with (hop3.toml [limits] of its source within the server's maximum), for a rollback. */
  readonly limits?: AppLimits;
  /** hop3.toml [[volumes]] of its source: linked into it at its deploy, and again at a rollback to it. */
  readonly volumes?: readonly AppVolume[];
  readonly error?: { readonly code: string; readonly message: string };
}

/** Releases kept with what they need to start again, when HOP3_KEEP_RELEASES does not say. */
export const DEFAULT_KEEP_RELEASES = 5;

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

const RELEASE_STATUSES = ["deploying", "live", "failed", "superseded", "interrupted"] as const;

/** releases/<id>.json: internal state through zod; its artifact, a published format, through BuildArtifact's schema. */
const ReleaseFileSchema = z.object({
  id: z.string(),
  app: z.string(),
  createdAt: z.string(),
  source: z.string(),
  builder: z.string(),
  deployer: z.string(),
  artifact: z.unknown(),
  status: z.enum(RELEASE_STATUSES),
  env: z.object({ app: z.record(z.string(), z.string()), user: z.record(z.string(), z.string()) }).optional(),
  startTimeoutSeconds: z.number().positive().optional(),
  healthcheck: HealthcheckStateSchema.optional(),
  limits: LimitsStateSchema.optional(),
  volumes: z.array(z.object({ name: z.string(), target: z.string() })).optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

function readRelease(path: string): Release {
  const release = readStateFile(path, ReleaseFileSchema, {});
  return { ...release, artifact: validateArtifact(release.artifact, path) };
}

/** The release that runs the app: the live one, else the newest (a failed first deploy), for status and logs. */
export function currentRelease(home: string, app: string, liveId: string | undefined): Release | undefined {
  const releases = listReleases(home, app);
  return releases.find((r) => r.id === liveId) ?? releases.at(-1);
}

/** Records `liveId` as the live release: the one live before becomes superseded, a deploy killed midway interrupted. */
export function markLive(home: string, app: string, liveId: string): void {
  for (const release of listReleases(home, app)) {
    if (release.id === liveId) {
      if (release.status !== "live") writeRelease(home, { ...release, status: "live" });
    } else if (release.status === "live") writeRelease(home, { ...release, status: "superseded" });
  }
}

/** Releases left `deploying` by a deploy that was killed: `interrupted`, so nothing takes them for running. */
export function markInterrupted(home: string, app: string, exceptId: string): void {
  for (const release of listReleases(home, app)) {
    if (release.status === "deploying" && release.id !== exceptId) writeRelease(home, { ...release, status: "interrupted" });
  }
}

/** How many releases to keep: HOP3_KEEP_RELEASES (1 to 100), default 5. */
export function keepReleasesSetting(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.HOP3_KEEP_RELEASES;
  if (raw === undefined || raw.trim() === "") return DEFAULT_KEEP_RELEASES;
  const value = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || value < 1 || value > 100) {
    throw coreError("KEEP_RELEASES_INVALID", `HOP3_KEEP_RELEASES=${JSON.stringify(raw)} is not a whole number from 1 to 100.`, { details: { value: raw } });
  }
  return value;
}

/** The releases past the `keep` newest, never the live one nor one being deployed: those pruning removes. */
export function releasesToPrune(releases: readonly Release[], keep: number, liveId: string | undefined): Release[] {
  const newestFirst = [...releases].reverse();
  const kept = new Set(newestFirst.slice(0, keep).map((r) => r.id));
  return releases.filter((r) => !kept.has(r.id) && r.id !== liveId && r.status !== "deploying");
}

/**
 * Removes the releases past the `keep` newest: first what their builder kept for them (Nix GC
 * root, release directory, Docker image, through `Builder.discard`), then their record. A release
 * whose resources cannot be freed keeps its record, so the next prune tries again.
 */
export async function pruneReleases(distribution: CoreDistribution, app: string, keep: number, liveId: string | undefined, logger: Logger, signal: AbortSignal): Promise<string[]> {
  const { home } = distribution;
  const pruned: string[] = [];
  for (const release of releasesToPrune(listReleases(home, app), keep, liveId)) {
    const builder = distribution.registry.builders().find((b) => b.name === release.builder);
    try {
      await builder?.discard?.(release.artifact, distribution.appContext(app, { signal, logger }));
    } catch (error) {
      logger.warn(`Release ${release.id} of ${app} was kept: ${(error as Error).message}`);
      continue;
    }
    rmSync(join(releasesDir(home, app), `${release.id}.json`), { force: true });
    pruned.push(release.id);
  }
  return pruned;
}
