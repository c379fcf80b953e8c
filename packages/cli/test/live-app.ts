import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeAppRecord, writeRelease, type AppLimits } from "@hop3/core";

/** The release id `writeLiveApp` records. */
export const LIVE_RELEASE = "20250101T000000Z-abcd";

/**
 * A fresh HOP3_HOME holding app `blog` with a live release of the stub plugin's kind, as a deploy
 * would leave it, for commands that only read Hop3's records (status, apps, logs). Returns the home.
 */
export function writeLiveApp(prefix: string, limits?: AppLimits): string {
  const home = mkdtempSync(join(tmpdir(), prefix));
  writeAppRecord(home, { name: "blog", source: home, appEnv: {}, userEnv: {}, scale: {}, domains: [], liveRelease: LIVE_RELEASE, ...(limits && { limits }) });
  writeRelease(home, {
    id: LIVE_RELEASE,
    app: "blog",
    createdAt: new Date().toISOString(),
    source: home,
    builder: "test",
    deployer: "stub",
    status: "live",
    ...(limits && { limits }),
    artifact: { apiVersion: 1, kind: "generic", location: home, builder: "test", appName: "blog", buildId: "1", builtAt: new Date().toISOString(), metadata: {}, runtime: { workers: { web: "serve" }, env: {}, path: [], workingDir: home } },
  });
  return home;
}
