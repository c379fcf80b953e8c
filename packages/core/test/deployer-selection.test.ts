import { describe, expect, it } from "vitest";
import { artifactShape, createDistribution, definePlugin, normalizeConfig, parseHop3Toml, type ArtifactShape, type BuildArtifact, type Deployer } from "@hop3/core";
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

describe("hop3.toml [run] deployer", () => {
  const distribution = createDistribution({
    plugins: [
      definePlugin({
        name: "test/deployers",
        apiVersion: 1,
        register: (r) => {
          r.addDeployer(deployerTaking("procs", ["processes", "container-image"]));
          r.addDeployer({ ...deployerTaking("cluster", ["container-image"]), takesWhenNamed: ["processes"] });
        },
      }),
    ],
  });
  const config = (text: string) => normalizeConfig(parseHop3Toml(text, "/srv/site/hop3.toml"), { entries: [] }, { hop3Toml: "/srv/site/hop3.toml" }, text);

  it("is read with where it is written, and a name that could reach a path or a shell is refused", async () => {
    expect(config('[run]\nstart-timeout = 5\ndeployer = "cluster"\n').deployer).toEqual({ name: "cluster", where: "/srv/site/hop3.toml line 3" });
    expect(config("[run]\nstart-timeout = 5\n").deployer).toBeUndefined();
    for (const hostile of ["../../bin/sh", "uwsgi; rm -rf /", "UWSGI", ""]) {
      expect((await caught(() => config(`[run]\ndeployer = ${JSON.stringify(hostile)}\n`))).code).toBe("CONFIG_INVALID_VALUE");
    }
  });

  it("picks the named deployer over the first of the shape, including a shape it takes only when named", () => {
    const where = "hop3.toml line 2";
    expect(distribution.deployerFor(image).name).toBe("procs");
    expect(distribution.deployerFor(image, undefined, { name: "cluster", where }).name).toBe("cluster");
    expect(distribution.deployerFor(commands).name).toBe("procs");
    expect(distribution.deployerFor(commands, undefined, { name: "cluster", where }).name).toBe("cluster");
  });

  it("refuses an unknown name or a deployer that does not run the artifact, naming the file, the line and the deployers", async () => {
    const unknown = await caught(() => distribution.deployerFor(image, undefined, { name: "kubernetes", where: "hop3.toml line 2" }));
    expect(unknown.code).toBe("DEPLOYER_UNKNOWN");
    expect(unknown.message).toBe('hop3.toml line 2: [run] deployer "kubernetes": this server has no deployer of that name. Deployers that run app "site": procs, cluster.');
    const files = createDistribution({ plugins: [definePlugin({ name: "test/files", apiVersion: 1, register: (r) => { r.addDeployer(deployerTaking("files", ["static-directory"])); r.addDeployer(deployerTaking("procs", ["processes"])); } })] });
    const wrong = await caught(() => files.deployerFor(commands, undefined, { name: "files", where: "hop3.toml line 2" }));
    expect(wrong.code).toBe("DEPLOYER_UNKNOWN");
    expect(wrong.message).toBe('hop3.toml line 2: [run] deployer "files": it does not run command workers (web, worker) (shape "processes"). Deployers that run app "site": procs.');
  });

  it("refuses a deployer whose takesWhenNamed names an unknown shape", async () => {
    const register = (deployer: unknown) =>
      createDistribution({ plugins: [definePlugin({ name: "test/bad", apiVersion: 1, register: (r) => r.addDeployer(deployer as Deployer) })] }).registry.deployers();
    expect((await caught(() => register({ ...deployerTaking("odd", ["processes"]), takesWhenNamed: ["nix"] }))).message).toMatch(/takesWhenNamed that is not a list of artifact shapes/);
  });
});
