import { describe, expect, it } from "vitest";
import { servedDirOf, staticDirOf } from "../src/static-dir.js";
import { caught, staticArtifact } from "./helpers.js";

describe("staticDirOf", () => {
  it("resolves a relative directory against the working directory, and keeps an absolute one", () => {
    expect(staticDirOf(staticArtifact("site", "/srv/app", "public"))).toBe("/srv/app/public");
    expect(staticDirOf(staticArtifact("site", "/srv/app", "./build/../dist/"))).toBe("/srv/app/dist");
    expect(staticDirOf(staticArtifact("site", "/srv/app", "/nix/store/abc-site/public"))).toBe("/nix/store/abc-site/public");
  });

  it("refuses an artifact whose workers run processes, naming them", async () => {
    const artifact = staticArtifact("site", "/srv/app");
    const error = await caught(() => staticDirOf({ ...artifact, runtime: { ...artifact.runtime, workers: { static: "public", web: "python3 -m http.server" } } }));
    expect(error.code).toBe("STATIC_PROCESS_WORKERS");
    expect(error.message).toContain("(web)");
  });

  it("refuses an artifact without a static worker", async () => {
    const artifact = staticArtifact("site", "/srv/app");
    const error = await caught(() => staticDirOf({ ...artifact, runtime: { ...artifact.runtime, workers: {} } }));
    expect(error.code).toBe("STATIC_WORKER_MISSING");
  });

  it.each([
    ["/etc", "an absolute path elsewhere"],
    ["../../etc", "a path that leaves the build"],
    ["/", "the root"],
  ])("refuses to serve %j (%s) with core's STATIC_DIR_OUTSIDE_ARTIFACT", async (dir) => {
    const error = await caught(() => servedDirOf(staticArtifact("site", "/srv/app", dir)));
    expect(error.code).toBe("STATIC_DIR_OUTSIDE_ARTIFACT");
    expect(error.message).toContain(dir);
  });
});
