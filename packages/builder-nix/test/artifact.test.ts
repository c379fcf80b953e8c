import { describe, expect, it } from "vitest";
import { validateArtifact } from "@hop3/core";
import { nixArtifact, type NixBuildResult } from "@hop3/builder-nix";

const STORE = "/nix/store/xvhnvkqhp0aagb60bq83vq9f54brf0w3-nix-env";
const result = (overrides: Partial<NixBuildResult> = {}): NixBuildResult => ({
  appName: "nix-env",
  nixFile: "/srv/apps/nix-env/hop3.nix",
  storePath: STORE,
  storeHash: "xvhnvkqhp0aagb60bq83vq9f54brf0w3",
  runtime: { workers: { web: "serve" } },
  nixEnv: {},
  ...overrides,
});

describe("the artifact of a Nix build", () => {
  it("describes the store path, and passes core's validation", () => {
    const artifact = nixArtifact(result({ drv: "/nix/store/c5rsxwaa520k9a53as9kjgccwkdfhhjp-nix-env.drv", gcRoot: "/h/apps/nix-env/nix/gcroots/r1" }));
    expect(validateArtifact(artifact, "test")).toBe(artifact);
    expect(artifact).toMatchObject({
      apiVersion: 1,
      kind: "nix",
      location: STORE,
      builder: "nix",
      appName: "nix-env",
      buildId: "xvhnvkqhp0aagb60bq83vq9f54brf0w3",
      metadata: {
        nixFile: "/srv/apps/nix-env/hop3.nix",
        storePath: STORE,
        drv: "/nix/store/c5rsxwaa520k9a53as9kjgccwkdfhhjp-nix-env.drv",
        gcRoot: "/h/apps/nix-env/nix/gcroots/r1",
      },
      runtime: { workers: { web: "serve" }, env: {}, path: [], workingDir: STORE },
    });
  });

  it("lets runtime.json env win over hop3.nix env", () => {
    const artifact = nixArtifact(
      result({ nixEnv: { GREETING: "nix", SHARED: "from-hop3-nix" }, runtime: { workers: { web: "x" }, env: { SHARED: "from-runtime-json", OTHER: "x" } } }),
    );
    expect(artifact.runtime.env).toEqual({ GREETING: "nix", SHARED: "from-runtime-json", OTHER: "x" });
  });

  it('is of kind "static" only when static is the one worker', () => {
    expect(nixArtifact(result({ runtime: { workers: { static: `${STORE}/public` } } })).kind).toBe("static");
    expect(nixArtifact(result({ runtime: { workers: { static: `${STORE}/public`, web: "x" } } })).kind).toBe("nix");
  });

  it("leaves drv and gcRoot out of the metadata when there are none", () => {
    expect(nixArtifact(result()).metadata).toEqual({ nixFile: "/srv/apps/nix-env/hop3.nix", storePath: STORE });
  });
});
