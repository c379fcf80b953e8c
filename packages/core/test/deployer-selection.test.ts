import { describe, expect, it } from "vitest";
import { artifactShape, createDistribution, definePlugin, type ArtifactShape, type BuildArtifact, type Deployer } from "@hop3/core";
import { caught } from "./helpers.js";

function deployerTaking(name: string, takes: readonly ArtifactShape[]): Deployer {
  const unused = async (): Promise<never> => {
    throw new Error("not used by this test");
  };
  return { apiVersion: 1, name, takes, deploy: unused, start: unused, stop: unused, restart: unused, scale: unused, destroy: unused, status: unused };
}

function artifact(kind: string, runtime: Partial<BuildArtifact["runtime"]>): BuildArtifact {
  return {
    apiVersion: 1,
    kind,
    location: "/srv/site",
    builder: "test",
    appName: "site",
    buildId: "1",
    builtAt: new Date().toISOString(),
    metadata: {},
    runtime: { workers: {}, env: {}, path: [], workingDir: "/srv/site", ...runtime },
  };
}

const commands = artifact("my-new-kind", { workers: { web: "serve", worker: "work" } });
const directory = artifact("nix", { workers: { static: "public" } });
const image = artifact("docker-image", { workers: { web: "docker run hop3/site" }, isolation: "container" });

describe("artifact shapes", () => {
  it("are decided by what the runtime holds, never by the kind", () => {
    expect(artifactShape(commands)).toBe("processes");
    expect(artifactShape(directory)).toBe("static-directory");
    expect(artifactShape(image)).toBe("container-image");
    expect(artifactShape(artifact("static", { workers: { web: "serve", static: "public" } }))).toBe("processes");
  });
});

describe("deployerFor", () => {
  const distribution = createDistribution({
    plugins: [definePlugin({ name: "test/deployers", apiVersion: 1, register: (r) => { r.addDeployer(deployerTaking("files", ["static-directory"])); r.addDeployer(deployerTaking("procs", ["processes", "container-image"])); } })],
  });

  it("gives a plugin's new kind with command workers to the deployer of processes", () => {
    expect(distribution.deployerFor(commands).name).toBe("procs");
    expect(distribution.deployerFor(image).name).toBe("procs");
    expect(distribution.deployerFor(directory).name).toBe("files");
  });

  it("names what the artifact is when no deployer takes it", async () => {
    const only = createDistribution({ plugins: [definePlugin({ name: "test/files", apiVersion: 1, register: (r) => r.addDeployer(deployerTaking("files", ["static-directory"])) })] });
    const error = await caught(() => only.deployerFor(commands));
    expect(error.code).toBe("DEPLOYER_NOT_FOUND");
    expect(error.message).toBe(
      'No deployer takes the artifact of app "site" (kind "my-new-kind"): it is command workers (web, worker), shape "processes". Deployers: files (static-directory).',
    );
  });

  it("refuses a deployer that does not say which shapes it takes, or names an unknown one", async () => {
    const register = (deployer: unknown) =>
      createDistribution({ plugins: [definePlugin({ name: "test/bad", apiVersion: 1, register: (r) => r.addDeployer(deployer as Deployer) })] }).registry.deployers();
    const { takes: _, ...withoutTakes } = deployerTaking("old", ["processes"]);
    expect((await caught(() => register({ ...withoutTakes, kinds: ["nix"] }))).message).toMatch(/does not say which artifact shapes it takes/);
    expect((await caught(() => register(deployerTaking("odd", ["nix" as ArtifactShape])))).message).toMatch(/takes unknown artifact shapes "nix"/);
  });
});
