import { describe, expect, it } from "vitest";
import { createSwarmDeployer, registryFromEnv, swarmErrorCatalog } from "../src/index.js";
import { renderRegistryConfig } from "../src/registry.js";
import { limitFlags, secretOf, updatePolicyFlags } from "../src/swarm.js";

describe("createSwarmDeployer", () => {
  it("checks its options at once", () => {
    expect(() => createSwarmDeployer({ registry: "http://127.0.0.1:5000" })).toThrow(/registry/);
    expect(() => createSwarmDeployer({ updateMonitorSeconds: 0 })).toThrow(/updateMonitorSeconds/);
    expect(() => createSwarmDeployer({ unknown: 1 } as never)).toThrow();
    expect(() => createSwarmDeployer({ nixStore: "" })).toThrow(/nixStore/);
    const deployer = createSwarmDeployer({ registry: "127.0.0.1:5000" });
    // Command workers (a Nix closure) only for an app that names it: the server's other apps stay with uWSGI.
    expect([deployer.takes, deployer.takesWhenNamed]).toEqual([["container-image"], ["processes"]]);
  });

  it("refuses before the build what it cannot run: another shape, a worker name Swarm cannot take", async () => {
    const deployer = createSwarmDeployer();
    const problems = await deployer.check!({ app: "a", workers: { static: "public", "Bad_Name": "y" }, shape: "static-directory", env: {} });
    expect(problems.map((problem) => problem.code)).toEqual(["SWARM_ARTIFACT_UNSUPPORTED", "SWARM_ARTIFACT_UNSUPPORTED"]);
    expect(await deployer.check!({ app: "a", workers: { web: "x", worker: "y" }, shape: "container-image", env: {} })).toEqual([]);
    expect(await deployer.check!({ app: "a", workers: { web: "x" }, shape: "processes", env: {} })).toEqual([]);
  });

  it("has a hint for every code", () => {
    for (const info of Object.values(swarmErrorCatalog)) expect(info.hint.length).toBeGreaterThan(20);
  });
});

describe("service flags", () => {
  it("turn [limits] into Swarm limits, nothing else", () => {
    expect(limitFlags({ memoryBytes: 256 * 1024 ** 2, cpus: 0.5, processes: 64, openFiles: 1024 })).toEqual(["--limit-memory", "268435456", "--limit-cpu", "0.5", "--limit-pids", "64"]);
    expect(limitFlags(undefined)).toEqual([]);
  });

  it("roll start-first and roll back on failure", () => {
    const flags = updatePolicyFlags(2).join(" ");
    expect(flags).toContain("--update-order start-first");
    expect(flags).toContain("--update-failure-action rollback");
    expect(flags).toContain("--rollback-order start-first");
  });

  it("find the env secret a spec mounts", () => {
    const spec = { TaskTemplate: { ContainerSpec: { Image: "i", Secrets: [{ SecretName: "other", File: { Name: "x" } }, { SecretName: "hop3-a-env-1", File: { Name: "hop3-env" } }] } } };
    expect(secretOf(spec)).toBe("hop3-a-env-1");
    expect(secretOf(undefined)).toBeUndefined();
  });
});

describe("Hop3's registry", () => {
  it("is the default; a registry named, or none (false), replaces it", () => {
    expect(createSwarmDeployer().startService).toBeTypeOf("function");
    expect(createSwarmDeployer({ registry: false }).startService).toBeUndefined();
    expect(createSwarmDeployer({ registry: "10.0.0.1:5000" }).startService).toBeUndefined();
    expect(() => createSwarmDeployer({ registry: true } as never)).toThrow(/registry/);
    expect([registryFromEnv({}), registryFromEnv({ HOP3_SWARM_REGISTRY: "none" }), registryFromEnv({ HOP3_SWARM_REGISTRY: "r.example:5000" })]).toEqual([undefined, false, "r.example:5000"]);
  });

  it("listens on loopback only, and no character of HOP3_HOME breaks out of its config", () => {
    const config = renderRegistryConfig('/srv/h"op3\n  addr: 0.0.0.0:80/swarm/registry/data', 40417);
    expect(config).toContain('rootdirectory: "/srv/h\\"op3\\n  addr: 0.0.0.0:80/swarm/registry/data"');
    expect(config.split("\n").filter((line) => /^\s*addr:/.test(line))).toEqual(['  addr: "127.0.0.1:40417"']);
    expect(config).toMatch(/delete:\n {4}enabled: false/);
  });
});
