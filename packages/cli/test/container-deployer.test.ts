import { describe, expect, it } from "vitest";
import { loadDefaultDistribution } from "../src/index.js";

describe("HOP3_CONTAINER_DEPLOYER", () => {
  it("puts the Swarm deployer before uWSGI when it is swarm, and leaves uWSGI first otherwise", async () => {
    const names = async (env: Record<string, string>) => (await loadDefaultDistribution({ ...env, HOP3_HOME: "/nonexistent" })).registry.deployers().map((d) => d.name);
    expect((await names({ HOP3_CONTAINER_DEPLOYER: "swarm", HOP3_SWARM_REGISTRY: "127.0.0.1:5000" }))[0]).toBe("swarm");
    expect(await names({})).not.toContain("swarm");
    expect(await names({ HOP3_CONTAINER_DEPLOYER: "uwsgi" })).not.toContain("swarm");
  });

  it("runs Hop3's own registry as a service unless HOP3_SWARM_REGISTRY names one, or none", async () => {
    const swarm = async (registry?: string) =>
      (await loadDefaultDistribution({ HOP3_HOME: "/nonexistent", HOP3_CONTAINER_DEPLOYER: "swarm", ...(registry !== undefined && { HOP3_SWARM_REGISTRY: registry }) })).registry.deployers()[0]!;
    expect((await swarm()).startService).toBeTypeOf("function");
    expect((await swarm("none")).startService).toBeUndefined();
    expect((await swarm("registry.example:5000")).startService).toBeUndefined();
  });

  it("refuses a value it does not know", async () => {
    await expect(loadDefaultDistribution({ HOP3_CONTAINER_DEPLOYER: "kubernetes" })).rejects.toMatchObject({ code: "OPTIONS_INVALID" });
  });
});
