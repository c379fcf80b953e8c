import { describe, expect, it } from "vitest";
import { createSwarmDeployer, swarmErrorCatalog } from "../src/index.js";
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
