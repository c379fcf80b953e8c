import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { caught } from "../helpers.js";
import type { BuildArtifact } from "../../src/schemas/artifact.js";
import { keepReleasesSetting, listReleases, markInterrupted, markLive, releasesToPrune, writeRelease, type Release } from "../../src/pipeline/releases.js";

const artifact = (buildId: string): BuildArtifact => ({
  apiVersion: 1,
  appName: "blog",
  buildId,
  kind: "nix",
  location: `/nix/store/${buildId}-blog`,
  builder: "nix",
  builtAt: "2026-11-25T00:00:00.000Z",
  runtime: { workers: { web: "run" }, env: {}, path: [], workingDir: "/" },
  metadata: {},
});

const release = (id: string, status: Release["status"]): Release => ({
  id,
  app: "blog",
  createdAt: "2026-11-25T00:00:00.000Z",
  source: "/srv/blog",
  builder: "nix",
  deployer: "uwsgi",
  artifact: artifact(`build-${id}`),
  status,
});

describe("which releases are kept", () => {
  const releases = ["r1", "r2", "r3", "r4", "r5", "r6"].map((id, i) => release(id, i === 5 ? "live" : "superseded"));

  it("prunes everything past the newest N", () => {
    expect(releasesToPrune(releases, 4, "r6").map((r) => r.id)).toEqual(["r1", "r2"]);
    expect(releasesToPrune(releases, 6, "r6")).toEqual([]);
  });

  it("never prunes the live release, even an old one after rollbacks, nor one being deployed", () => {
    const rolledBack = [...releases.slice(0, 5), release("r6", "deploying")];
    expect(releasesToPrune(rolledBack, 1, "r2").map((r) => r.id)).toEqual(["r1", "r3", "r4", "r5"]);
  });

  it("reads HOP3_KEEP_RELEASES, 5 by default, and refuses what is not a count", async () => {
    expect(keepReleasesSetting({})).toBe(5);
    expect(keepReleasesSetting({ HOP3_KEEP_RELEASES: "12" })).toBe(12);
    for (const bad of ["0", "-1", "2.5", "all", "101"]) {
      expect((await caught(() => keepReleasesSetting({ HOP3_KEEP_RELEASES: bad }))).code, bad).toBe("KEEP_RELEASES_INVALID");
    }
  });
});

describe("release statuses", () => {
  it("moves live to the chosen release, supersedes the one before, and marks dead deploys interrupted", () => {
    const home = mkdtempSync(join(tmpdir(), "hop3-releases-unit-"));
    for (const r of [release("20260101T000000Z-aaaa", "superseded"), release("20260102T000000Z-bbbb", "live"), release("20260103T000000Z-cccc", "deploying")]) writeRelease(home, r);
    markInterrupted(home, "blog", "20260104T000000Z-dddd");
    markLive(home, "blog", "20260101T000000Z-aaaa");
    expect(listReleases(home, "blog").map((r) => r.status)).toEqual(["live", "superseded", "interrupted"]);
  });
});
