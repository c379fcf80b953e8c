import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDistribution, createMemoryLogger, type Distribution } from "@hop3/core";
import { nixPlugin } from "@hop3/builder-nix";
import { dockerPlugin, type DockerBuilderOptions } from "../src/index.js";
import { caught, docker, waitFor, ensureDockerEngine, fixtureApp, FIXTURES, imagesOf, removeTemps, tempDir } from "./helpers.js";

// Every failure against the real engine (or its absence), each with its code; and the choice
// between Nix and Docker for an app that has both.
describe("Docker builder failures", () => {
  let dockerHost = "";
  let home = "";
  const distribution = (env: Record<string, string | undefined>, options?: DockerBuilderOptions): Distribution =>
    createDistribution({ plugins: [nixPlugin(), dockerPlugin(options)], env: { ...process.env, HOP3_HOME: home, DOCKER_HOST: dockerHost, ...env } });
  const build = async (dir: string, env: Record<string, string | undefined> = {}, options?: DockerBuilderOptions) => {
    const dist = distribution(env, options);
    return dist.build(await dist.plan(dir), { logger: createMemoryLogger(), releaseId: "broken" });
  };
  const expected = (fixture: string) => JSON.parse(readFileSync(join(FIXTURES, fixture, "expect.json"), "utf8")) as Record<string, string>;

  /** The commands of every container, running or not (other test files may run containers meanwhile). */
  const containerCommands = () => docker(dockerHost, "ps", "-a", "--no-trunc", "--format", "{{.Command}}");

  beforeAll(() => {
    dockerHost = ensureDockerEngine();
    home = join(tempDir(), "home");
  });

  afterAll(() => {
    for (const app of ["docker-syntax-error", "docker-run-fails", "slow"]) for (const image of imagesOf(dockerHost, app)) docker(dockerHost, "image", "rm", image);
    removeTemps();
  });

  it("a Dockerfile syntax error is DOCKERFILE_INVALID, with Docker's line", async () => {
    const error = await caught(() => build(fixtureApp("docker-syntax-error")));
    expect(error.code).toBe(expected("docker-syntax-error").code);
    expect(error.message).toContain(expected("docker-syntax-error").message);
  });

  it("a failing RUN step is DOCKER_BUILD_FAILED, with the step's output", async () => {
    const error = await caught(() => build(fixtureApp("docker-run-fails")));
    expect(containerCommands()).not.toContain("broke on purpose"); // --force-rm: the failed step's container is removed
    expect(error.code).toBe(expected("docker-run-fails").code);
    expect(error.message).toContain(expected("docker-run-fails").message);
    expect(error.message).toMatch(/non-zero code: 3|exit code: 3/);
  });

  it("no docker CLI on PATH is DOCKER_NOT_INSTALLED, already when planning", async () => {
    const dir = fixtureApp("docker-web");
    const error = await caught(() => distribution({ PATH: "/nonexistent" }).plan(dir));
    expect(error.code).toBe("DOCKER_NOT_INSTALLED");
    expect(error.message).toContain("docker was not found on PATH");
    expect(error.hint).toContain("apt-get install docker.io");
  });

  it("an engine that is not there is DOCKER_ENGINE_UNREACHABLE, and the hint names DOCKER_HOST", async () => {
    const missing = `unix://${join(tempDir(), "nothing.sock")}`;
    const started = Date.now();
    const error = await caught(() => build(fixtureApp("docker-web"), { DOCKER_HOST: missing }));
    expect(error.code).toBe("DOCKER_ENGINE_UNREACHABLE");
    expect(error.message).toContain(`DOCKER_HOST=${missing}`);
    expect(error.hint).toContain("DOCKER_HOST");
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("a build past its time limit is DOCKER_BUILD_TIMEOUT", async () => {
    const dir = fixtureApp("docker-run-fails", "slow", { Dockerfile: "FROM scratch\nCOPY busybox /bin/busybox\nCOPY busybox /bin/sh\nRUN echo waiting && /bin/busybox sleep 60\n" });
    const error = await caught(() => build(dir, {}, { timeoutSeconds: 3 }));
    expect(error.code).toBe("DOCKER_BUILD_TIMEOUT");
    expect(error.message).toContain("after 3 s");
    // The engine stops the build when its client goes: no build container is left behind.
    await waitFor(() => !containerCommands().includes("sleep 60"), 20_000, "the build container to go");
  });

  it('hop3.toml builder = "docker" without a Dockerfile is DOCKERFILE_MISSING', async () => {
    const dir = join(tempDir(), "no-dockerfile");
    mkdirSync(dir);
    writeFileSync(join(dir, "hop3.toml"), '[build]\nbuilder = "docker"\n');
    const error = await caught(() => build(dir));
    expect(error.code).toBe("DOCKERFILE_MISSING");
  });

  it("a [docker] dockerfile outside the app is DOCKER_CONFIG_INVALID", async () => {
    const dir = fixtureApp("docker-web", "escape", { "hop3.toml": '[docker]\ndockerfile = "../../etc/passwd"\n' });
    const error = await caught(() => build(dir));
    expect(error.code).toBe("DOCKER_CONFIG_INVALID");
    expect(error.message).toContain("dockerfile");
  });

  it("a Dockerfile that links out of the app is refused before the root docker CLI reads it", async () => {
    const dir = fixtureApp("docker-web", "shadow");
    rmSync(join(dir, "Dockerfile"));
    symlinkSync("/etc/shadow", join(dir, "Dockerfile"));
    const error = await caught(() => build(dir));
    expect(error.code).toBe("CONFIG_FILE_OUTSIDE_APP");
    for (const line of readFileSync("/etc/shadow", "utf8").split("\n").filter((l) => l.includes(":"))) expect(error.message.includes(line)).toBe(false);
    expect(imagesOf(dockerHost, "shadow")).toEqual([]);
  });

  it("an app with hop3.nix and a Dockerfile builds with Nix in auto mode, with Docker when hop3.toml says so", async () => {
    const both = expected("docker-nix-both");
    const dir = fixtureApp("docker-nix-both");
    const auto = await distribution({}).plan(dir);
    expect(auto.builder.name).toBe(both.autoBuilder);
    expect(auto.candidates.find((c) => c.name === "docker")).toMatchObject({ accepted: true, reason: "Dockerfile found" });
    writeFileSync(join(dir, "hop3.toml"), '[build]\nbuilder = "docker"\n');
    const explicit = await distribution({}).plan(dir);
    expect(explicit.builder).toMatchObject({ name: both.explicitBuilder, explicit: true });
    expect(explicit.candidates.find((c) => c.name === "nix")).toMatchObject({ accepted: false });
  });
});
