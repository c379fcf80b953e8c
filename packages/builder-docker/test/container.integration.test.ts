import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDistribution, createMemoryLogger, type BuildArtifact } from "@hop3/core";
import { dockerPlugin } from "../src/index.js";
import { containersOf, docker, ensureDockerEngine, fixtureApp, FIXTURES, freePort, imagesOf, removeTemps, tempDir, waitFor } from "./helpers.js";

const SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
const expected = JSON.parse(readFileSync(join(FIXTURES, "docker-box", "expect.json"), "utf8")) as { uid: string; gid: string; containerPort: number };
const GREETING = "it's a \"quoted\" $VALUE; with `ticks` and = signs";
const limits = { HOP3_LIMIT_MEMORY: String(128 * 1024 * 1024), HOP3_LIMIT_CPUS: "0.5", HOP3_LIMIT_PROCESSES: "64", HOP3_LIMIT_OPEN_FILES: "4096" };

// The side of the `runtime.isolation: "container"` contract this builder keeps, against the real
// engine: the web worker's command is run as the uWSGI deployer runs it (/bin/sh, as Hop3, with a
// clean environment, the app's variables in an env file, the limits as variables), and the
// container is looked at from inside (it prints what it sees) and from outside (docker inspect).
describe.sequential("the container is the app's box", () => {
  let dockerHost = "";
  let artifact: BuildArtifact;
  let cli: ChildProcess | undefined;
  let stdout = "";
  let stderr = "";
  const name = "hop3-docker-box-web-1";
  const seen = (key: string): string[] =>
    stdout
      .split("\n")
      .filter((line) => line.startsWith(`${key}=`))
      .map((line) => line.slice(key.length + 1));
  const inspect = (format: string): string => docker(dockerHost, "inspect", "--format", format, name);

  beforeAll(async () => {
    dockerHost = ensureDockerEngine();
    const env = { ...process.env, HOP3_HOME: join(tempDir(), "home"), DOCKER_HOST: dockerHost };
    const dist = createDistribution({ plugins: [dockerPlugin()], env });
    artifact = await dist.build(await dist.plan(fixtureApp("docker-box")), { logger: createMemoryLogger(), releaseId: "box" });

    // What the deployer writes: root's 0600 file of NAME=value lines. LD_PRELOAD and DOCKER_HOST
    // are the app's own business inside its box; they must never act on the root docker CLI.
    const envFile = join(tempDir(), "web.env");
    writeFileSync(envFile, `GREETING=${GREETING}\nLD_PRELOAD=/nonexistent.so\nDOCKER_HOST=unix:///nonexistent.sock\nPORT=1\n`, { mode: 0o600 });
    const port = await freePort();
    cli = spawn("/bin/sh", ["-c", artifact.runtime.workers.web!], {
      env: { PATH: SYSTEM_PATH, PORT: String(port), BIND_ADDRESS: "127.0.0.1", HOP3_INSTANCE: "docker-box_web.1", HOP3_ENV_FILE: envFile, ...limits },
      stdio: ["ignore", "pipe", "pipe"],
    });
    cli.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    cli.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => stdout.includes("probe-done"), 60_000, `the probe's report (stderr so far: ${stderr})`);
  });

  afterAll(() => {
    cli?.kill("SIGKILL");
    for (const container of containersOf(dockerHost, "docker-box")) docker(dockerHost, "rm", "-f", container);
    for (const image of imagesOf(dockerHost, "docker-box")) docker(dockerHost, "image", "rm", image);
    removeTemps();
  });

  it("the artifact says the container is the box", () => {
    expect(artifact.runtime.isolation).toBe("container");
    expect(artifact.metadata.containerPort).toBe(expected.containerPort);
  });

  it("runs as the image's USER, with no way to gain privileges", () => {
    expect(seen("uid")).toEqual([`${expected.uid} gid=${expected.gid}`]);
    expect(inspect("{{.Config.User}}")).toBe(`${expected.uid}:${expected.gid}`);
    expect(stdout).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(inspect("{{.HostConfig.Privileged}} {{json .HostConfig.SecurityOpt}}")).toBe('false ["no-new-privileges"]');
  });

  it("finds no Docker socket, and nothing of the host is mounted", () => {
    expect(seen("socket-absent").sort()).toEqual(["/run/docker.sock", "/var/run/docker.sock"]);
    expect(seen("socket-found")).toEqual([]);
    expect(inspect("{{json .Mounts}} {{json .HostConfig.Binds}}")).toBe("[] null");
  });

  it("has the memory, CPU, process and open-file limits", () => {
    expect(inspect("{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}")).toBe(
      `${limits.HOP3_LIMIT_MEMORY} ${limits.HOP3_LIMIT_MEMORY} 500000000 ${limits.HOP3_LIMIT_PROCESSES}`,
    );
    expect(JSON.parse(inspect("{{json .HostConfig.Ulimits}}"))).toEqual([{ Name: "nofile", Hard: 4096, Soft: 4096 }]);
    expect(seen("nofile")).toEqual(["4096"]);
  });

  it("gets the app's variables from the env file, values as written; the CLI starts it all the same", () => {
    expect(seen("GREETING")).toEqual([GREETING]);
    expect(seen("LD_PRELOAD")).toEqual(["/nonexistent.so"]);
    expect(seen("DOCKER_HOST")).toEqual(["unix:///nonexistent.sock"]);
    expect(seen("PORT")).toEqual([String(expected.containerPort)]);
    expect(stderr).not.toMatch(/LD_PRELOAD|ld\.so|nonexistent/);
    expect(inspect("{{.State.Running}}")).toBe("true");
  });

  it("stops, and is removed, when its CLI is stopped", async () => {
    const exited = new Promise((resolve) => cli!.once("exit", resolve));
    cli!.kill("SIGTERM");
    await exited;
    await waitFor(() => containersOf(dockerHost, "docker-box").length === 0, 20_000, "the container to go");
  });
});
