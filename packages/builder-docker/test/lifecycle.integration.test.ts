import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDistribution, createMemoryLogger, type BuildArtifact, type Distribution } from "@hop3/core";
import { stopEmperor } from "@hop3/deployer-uwsgi";
import { nginxRouterPlugin } from "@hop3/router-nginx";
import { dockerPlugin } from "../src/index.js";
import { containersOf, deployContext, docker, ensureDockerEngine, fixtureApp, FIXTURES, freePort, httpGet, imagesOf, removeTemps, tempDir, waitFor } from "./helpers.js";
import { uwsgiDeployerPlugin } from "@hop3/deployer-uwsgi";

/** `pgrep -af <home>`: the emperor, vassals and workers of this run carry the home in their command line. */
function processesOf(home: string): string[] {
  try {
    return execFileSync("pgrep", ["-af", "--", home], { encoding: "utf8" }).split("\n").filter((line) => line.trim() !== "" && !line.includes("pgrep"));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

// The real Docker engine, uWSGI emperor and nginx: build, deploy, serve over HTTP through nginx,
// respawn, redeploy, stop and destroy, leaving no container and no image.
describe.sequential("Docker apps, built and run for real", () => {
  let dockerHost = "";
  let home = "";
  let httpPort = 0;
  let env: Record<string, string | undefined> = {};
  let dist: Distribution;
  const artifacts: BuildArtifact[] = [];

  /** The app's limits for every deploy: the container gets them, through the deployer's HOP3_LIMIT_* variables. */
  const limits = { memoryBytes: 256 * 1024 * 1024, cpus: 0.5, processes: 100, openFiles: 2048 };
  const context = (appEnv: Readonly<Record<string, string>> = {}) => deployContext(home, env, dist.router(), appEnv, limits);
  /** Docker images run under the uWSGI deployer, as every artifact with command workers does. */
  const uwsgiDeployer = () => dist.registry.deployers().find((deployer) => deployer.name === "uwsgi")!;
  const get = (app: string, path = "/") => httpGet(httpPort, `${app}.localhost`, path);
  const serving = (app: string, text: string, path = "/") =>
    waitFor(async () => {
      const answer = await get(app, path);
      return answer.status === 200 && answer.body.includes(text) && answer;
    }, 30_000, `${app} to serve "${text}"`);

  async function build(dir: string, releaseId: string) {
    const logger = createMemoryLogger();
    const plan = await dist.plan(dir);
    const artifact = await dist.build(plan, { logger, releaseId });
    artifacts.push(artifact);
    return { plan, artifact, logger, output: logger.entries.filter((e) => e.level === "output").map((e) => e.text) };
  }

  /** What `hop3 destroy` does: the deployer removes processes and routes, the builder each release's image. */
  async function destroy(app: string, releases: readonly BuildArtifact[]) {
    await uwsgiDeployer().destroy(app, context());
    const builder = dist.registry.builders().find((b) => b.name === "docker")!;
    for (const artifact of releases) await builder.discard!(artifact, dist.appContext(app));
  }

  beforeAll(async () => {
    dockerHost = ensureDockerEngine();
    home = join(tempDir(), "home");
    httpPort = await freePort();
    env = { ...process.env, HOP3_HOME: home, DOCKER_HOST: dockerHost };
    dist = createDistribution({ plugins: [dockerPlugin(), uwsgiDeployerPlugin(), nginxRouterPlugin({ httpPort }, env)], env });
  });

  afterAll(async () => {
    await stopEmperor(home);
    await dist.router().stop(dist.operationContext());
    // Whatever a failed test left: no container or image of these apps survives the run.
    for (const app of ["docker-web", "docker-port", "docker-catalogue"]) {
      for (const name of containersOf(dockerHost, app)) docker(dockerHost, "rm", "-f", name);
      for (const image of imagesOf(dockerHost, app)) docker(dockerHost, "image", "rm", image);
    }
    expect(processesOf(home)).toEqual([]);
    removeTemps();
  });

  const web = { dir: "", first: undefined as BuildArtifact | undefined, second: undefined as BuildArtifact | undefined };
  const expectWeb = JSON.parse(readFileSync(join(FIXTURES, "docker-web", "expect.json"), "utf8")) as {
    containerPort: number;
    portSource: string;
    body: string;
    envPath: string;
    env: Record<string, string>;
  };

  it("builds a Dockerfile app, streaming docker's output, and records the image", async () => {
    web.dir = fixtureApp("docker-web");
    const { plan, artifact, output } = await build(web.dir, "20260101T000000Z-First");
    expect(plan.builder).toMatchObject({ name: "docker", explicit: false, reason: "Dockerfile found" });
    expect(output.some((line) => /Step 1\/\d+ : FROM scratch|FROM scratch/.test(line))).toBe(true);
    expect(artifact).toMatchObject({ kind: "docker-image", builder: "docker", location: "hop3/docker-web:20260101t000000z-first" });
    expect(artifact.buildId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(artifact.metadata).toMatchObject({ imageId: artifact.buildId, containerPort: expectWeb.containerPort, portSource: expectWeb.portSource, dockerfile: "Dockerfile", dockerHost });
    expect(docker(dockerHost, "image", "inspect", "--format", "{{.Id}}", artifact.location)).toBe(artifact.buildId);
    expect(artifact.runtime.workers.web).toContain("run --rm --init");
    expect(artifact.runtime.isolation).toBe("container");
    web.first = artifact;
  });

  it("rebuilds from the engine's layer cache", async () => {
    const { artifact, output } = await build(web.dir, "20260101T000001Z-second");
    expect(output.some((line) => /Using cache|CACHED/.test(line))).toBe(true);
    expect(artifact.buildId).toBe(web.first!.buildId);
    expect(imagesOf(dockerHost, "docker-web").sort()).toEqual(["hop3/docker-web:20260101t000000z-first", "hop3/docker-web:20260101t000001z-second"]);
    web.second = artifact;
  });

  it("deploys it under the uWSGI emperor and serves it through nginx, with the app's env", async () => {
    const app = dist.loadApp(web.dir);
    // A container image, taken by its shape: the uWSGI deployer knows no "docker-image" kind.
    expect(dist.deployerFor(web.first!)).toBe(uwsgiDeployer());
    const status = await uwsgiDeployer().deploy(web.first!, context(app.config.env));
    expect(status.state).toBe("running");
    await serving("docker-web", expectWeb.body);
    const page = await serving("docker-web", "GREETING=", expectWeb.envPath);
    const seen = Object.fromEntries(page.body.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    for (const [name, value] of Object.entries(expectWeb.env)) expect(seen[name], name).toBe(value);
    expect(seen.HOME === "/root" && seen.PATH?.includes("/usr/local/bin")).toBe(false);
    expect(seen.HOP3_HOME, "Hop3's own environment reached the container").toBeUndefined();
    expect(containersOf(dockerHost, "docker-web")).toEqual(["hop3-docker-web-web-1"]);
  });

  it("boxes the container: the app's limits, no new privileges, nothing mounted", () => {
    const inspect = (format: string) => docker(dockerHost, "inspect", "--format", format, "hop3-docker-web-web-1");
    expect(inspect("{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}")).toBe(`${limits.memoryBytes} ${limits.memoryBytes} 500000000 ${limits.processes}`);
    expect(JSON.parse(inspect("{{json .HostConfig.Ulimits}}"))).toEqual([{ Name: "nofile", Hard: limits.openFiles, Soft: limits.openFiles }]);
    expect(inspect("{{.HostConfig.Privileged}} {{json .HostConfig.SecurityOpt}} {{json .Mounts}}")).toBe('false ["no-new-privileges"] []');
  });

  it("logs the container's output in the worker's log", async () => {
    const logs = await uwsgiDeployer().logFiles!("docker-web", dist.operationContext());
    const web = logs.find((log) => log.worker === "web")!;
    const log = () => readFileSync(web.path, "utf8");
    await waitFor(() => log().includes("docker-web listening on 8080"), 10_000, "the container's first line in the worker's log");
  });

  it("respawns the container when it dies, like any worker", async () => {
    const before = docker(dockerHost, "inspect", "--format", "{{.Id}}", "hop3-docker-web-web-1");
    docker(dockerHost, "kill", "hop3-docker-web-web-1");
    await waitFor(() => {
      try {
        const id = docker(dockerHost, "inspect", "--format", "{{.Id}} {{.State.Running}}", "hop3-docker-web-web-1");
        return id !== `${before} true` && id.endsWith("true");
      } catch {
        return false;
      }
    }, 30_000, "a new container");
    await serving("docker-web", expectWeb.body);
  });

  it("redeploys a new release", async () => {
    const status = await uwsgiDeployer().deploy(web.second!, context(dist.loadApp(web.dir).config.env));
    expect(status.state).toBe("running");
    await serving("docker-web", expectWeb.body);
    await waitFor(() => {
      const names = containersOf(dockerHost, "docker-web");
      return names.length === 1 && docker(dockerHost, "inspect", "--format", "{{.Config.Image}}", names[0]!) === web.second!.location;
    }, 30_000, "the container of the new release alone");
  });

  it("stops it: no container is left", async () => {
    const status = await uwsgiDeployer().stop("docker-web", context());
    expect(status.state).toBe("stopped");
    await waitFor(() => containersOf(dockerHost, "docker-web").length === 0, 20_000, "no container of docker-web");
    await uwsgiDeployer().start("docker-web", context());
    await serving("docker-web", expectWeb.body);
  });

  it("destroys it: no container, no image", async () => {
    await destroy("docker-web", [web.first!, web.second!]);
    await waitFor(() => containersOf(dockerHost, "docker-web").length === 0, 20_000, "no container of docker-web");
    expect(imagesOf(dockerHost, "docker-web")).toEqual([]);
    const answer = await get("docker-web");
    expect(answer.status).not.toBe(200);
  });

  it("builds a target stage with build args and the hop3.toml port, and serves it", async () => {
    const dir = fixtureApp("docker-port");
    const expected = JSON.parse(readFileSync(join(FIXTURES, "docker-port", "expect.json"), "utf8")) as { containerPort: number; portSource: string; body: string };
    const { artifact } = await build(dir, "r1");
    expect(artifact.metadata).toMatchObject({ containerPort: expected.containerPort, portSource: expected.portSource });
    expect(artifact.runtime.workers.web).toContain(`:${expected.containerPort}"`);
    await uwsgiDeployer().deploy(artifact, context());
    await serving("docker-port", expected.body);
    await destroy("docker-port", [artifact]);
    await waitFor(() => containersOf(dockerHost, "docker-port").length === 0, 20_000, "no container of docker-port");
    expect(imagesOf(dockerHost, "docker-port")).toEqual([]);
  });

  it("builds a catalogue-dialect app: [app] builder picks Docker, [port] web is the container port", async () => {
    const dir = fixtureApp("docker-catalogue");
    const expected = JSON.parse(readFileSync(join(FIXTURES, "docker-catalogue", "expect.json"), "utf8")) as { containerPort: number; portSource: string; body: string };
    const { plan, artifact } = await build(dir, "r1");
    expect(plan.builder).toMatchObject({ name: "docker", explicit: true });
    // No [[provider]] here: it is made and attached on deploy now (see packages/cli/test/addons-postgres.integration.test.ts).
    expect(plan.warnings).toEqual([expect.stringContaining("[storage]")]);
    expect(artifact.metadata).toMatchObject({ containerPort: expected.containerPort, portSource: expected.portSource });
    expect(artifact.runtime.workers.web).toContain(`:${expected.containerPort}"`);
    await uwsgiDeployer().deploy(artifact, context());
    await serving("docker-catalogue", expected.body);
    await destroy("docker-catalogue", [artifact]);
    await waitFor(() => containersOf(dockerHost, "docker-catalogue").length === 0, 20_000, "no container of docker-catalogue");
    expect(imagesOf(dockerHost, "docker-catalogue")).toEqual([]);
  });
});
