import { describe, expect, it } from "vitest";
import { createNixDistribution, PROGRAM } from "@hop3/distribution-nix";

describe("the Nix-only distribution", () => {
  it("is composed of public plugins only, with nix as its one builder", () => {
    const distribution = createNixDistribution({ HOP3_HOME: "/nonexistent/hop3-nix-test" });
    expect(PROGRAM).toBe("hop3-nix");
    expect(distribution.plugins.map((p) => [p.order, p.name, p.origin])).toEqual([
      [1, "@hop3/builder-nix", "distribution"],
      [2, "@hop3/deployer-uwsgi", "distribution"],
      [3, "@hop3/deployer-static", "distribution"],
      [4, "@hop3/router-nginx", "distribution"],
    ]);
    expect(distribution.registry.builders().map((b) => b.name)).toEqual(["nix"]);
    expect(distribution.registry.deployers().map((d) => d.name).sort()).toEqual(["static", "uwsgi"]);
    // The Nix builder's commands: validating hop3.nix, and its remote builders, cache and keys.
    expect(distribution.registry.cliCommands().map((c) => c.name.join(" ")).filter((name) => !name.startsWith("nix "))).toEqual([]);
    expect(distribution.registry.cliCommands().map((c) => c.name.join(" "))).toEqual(expect.arrayContaining(["nix validate", "nix cache set", "nix builders add", "nix key generate", "nix trust", "nix check"]));
  });
});
