import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { releaseHealth, type BuildArtifact, type DeployContext, type Router } from "@hop3/core";
import { createNginxRouter } from "@hop3/router-nginx";
import { checkSwarmRegistry, createSwarmDeployer } from "../src/index.js";
import {
  buildAppImage,
  caught,
  docker,
  ensureSwarmEngine,
  freePort,
  httpGet,
  imageArtifact,
  loadThrough,
  processesUnder,
  removeTemps,
  startRegistry,
  tempDir,
  testDeployContext,
  tryDocker,
  waitFor,
} from "./helpers.js";

// One app through its whole life, on the real engine made a single-node swarm, behind the real nginx.
const suffix = randomBytes(3).toString("hex");
const app = `sw${suffix}`;
const other = `other${suffix}`;
const token = `tok-${randomBytes(8).toString("hex")}`;
let home: string;
let router: Router;
let httpPort: number;
const images: Record<string, string> = {};
// No registry named: the deployer runs Hop3's own, which its first deploy starts.
const deployer = createSwarmDeployer({ updateMonitorSeconds: 1 });
/** Hop3's registry of the test home, as its first deploy chose it. */
const ownRegistry = () => `127.0.0.1:${JSON.parse(readFileSync(join(home, "swarm", "registry", "registry.json"), "utf8")).port}`;
const serviceImages = () => `${ownRegistry()}/hop3-swarm/${app}`;

function contextFor(artifact?: BuildArtifact, overrides: Partial<DeployContext> = {}): DeployContext {
  const base = testDeployContext(home, router, { userEnv: { SECRET_TOKEN: token }, startTimeoutSeconds: 10, ...overrides });
  return artifact ? { ...base, healthGate: releaseHealth(app, { startTimeoutSeconds: 10 }, artifact, base).gate } : base;
}

const get = (path = "/") => httpGet(httpPort, `${app}.localhost`, path);
const appServices = () => docker(["service", "ls", "--filter", `label=hop3.app=${app}`, "--format", "{{.Name}}"]).trim().split("\n").filter(Boolean);

beforeAll(async () => {
  ensureSwarmEngine();
  home = tempDir();
  httpPort = await freePort();
  router = createNginxRouter({ httpPort });
  images.v1 = buildAppImage(app, "v1", { version: "v1" });
  images.v2 = buildAppImage(app, "v2", { version: "v2" });
  // Listens on another port than the one it declares: never passes its health check.
  images.broken = buildAppImage(app, "broken", { version: "broken", listen: 5999 });
  // Something of another app on the same swarm, which destroy must leave alone.
  docker(["service", "create", "--detach", "--quiet", "--name", `hop3-${other}-w-web`, "--label", `hop3.app=${other}`, "--label", "hop3.deployer=swarm", "--no-resolve-image", images.v1]);
  const keep = join(home, "keep");
  writeFileSync(keep, "keep");
  docker(["secret", "create", "--label", `hop3.app=${other}`, `hop3-${other}-env-keep`, keep]);
}, 300_000);

afterAll(async () => {
  tryDocker(["service", "rm", `hop3-${other}-w-web`]);
  // Its task's container goes a moment later, and holds the image until then.
  await waitFor(() => docker(["ps", "-aq", "--filter", `label=com.docker.swarm.service.name=hop3-${other}-w-web`]).trim() === "", 60_000, "the other app's container to go");
  tryDocker(["secret", "rm", `hop3-${other}-env-keep`]);
  for (const image of Object.values(images)) tryDocker(["image", "rm", image]);
  await router.stop(testDeployContext(home, router));
  await deployer.stopService!(testDeployContext(home, router));
  expect(processesUnder(home)).toEqual([]);
  removeTemps();
}, 120_000);

describe("the Swarm deployer", () => {
  it("runs a Docker app as a service, routed by nginx, its env from a secret that no inspect shows", async () => {
    const artifact = imageArtifact(app, images.v1!);
    const status = await deployer.deploy(artifact, contextFor(artifact));
    expect(status.state).toBe("running");
    expect(status.workers.map((w) => [w.worker, w.state])).toEqual([["web", "running"]]);
    expect((await get()).body.trim()).toBe("v1");
    const env = (await get("/cgi-bin/env")).body;
    expect(env).toContain(`SECRET_TOKEN=${token}`);
    // The image's USER (1000) runs the app.
    expect(env.trim().split("\n").at(-1)).toBe("1000");
    expect(appServices().sort()).toEqual([`hop3-${app}-edge`, `hop3-${app}-w-web`]);
    for (const service of appServices()) expect(docker(["service", "inspect", service])).not.toContain(token);
    const containers = docker(["ps", "-q", "--filter", `label=com.docker.swarm.service.name=hop3-${app}-w-web`]).trim().split("\n");
    for (const container of containers) expect(docker(["inspect", container])).not.toContain(token);
    for (const secret of docker(["secret", "ls", "--filter", `label=hop3.app=${app}`, "--format", "{{.Name}}"]).trim().split("\n")) {
      expect(docker(["secret", "inspect", secret])).not.toContain(token);
    }
    // The first deploy builds hop3-run (a cold Go cache compiles the standard library).
  }, 300_000);

  it("pulls from Hop3's own registry: started by the first deploy, on loopback only, as its own user, storing under HOP3_HOME", async () => {
    const spec = JSON.parse(docker(["service", "inspect", `hop3-${app}-w-web`]))[0].Spec.TaskTemplate.ContainerSpec;
    expect(spec.Image).toMatch(new RegExp(`^${serviceImages().replace(/\./g, "\\.")}:[0-9a-f]{12}@sha256:`));
    const pid = Number(readFileSync(join(home, "swarm", "registry", "registry.pid"), "utf8"));
    const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
    expect(uid).not.toBe(0);
    expect(execFileSync("id", ["-nu", String(uid)], { encoding: "utf8" }).trim()).toMatch(/^h3[0-9a-f]{6}_registry$/);
    const port = ownRegistry().split(":")[1];
    const listening = execFileSync("ss", ["-Hltn", `sport = :${port}`], { encoding: "utf8" }).trim().split("\n");
    expect(listening.map((line) => line.split(/\s+/)[3])).toEqual([`127.0.0.1:${port}`]);
    expect(readdirSync(join(home, "swarm", "registry", "data", "docker", "registry", "v2", "repositories", "hop3-swarm"))).toContain(app);
    // The images are the registry user's alone: no app user reads or changes them.
    const data = statSync(join(home, "swarm", "registry", "data"));
    expect([data.uid, data.mode & 0o777]).toEqual([uid, 0o700]);
    expect(await deployer.serviceStatus!(contextFor())).toMatchObject({ name: "Swarm registry", running: true, pid });
    expect(await checkSwarmRegistry(home, undefined, process.env)).toMatchObject({ ok: true, detail: expect.stringContaining(`Hop3's on ${ownRegistry()} (pid ${pid})`) });
  });

  it("runs what it pushed, whatever another local process pushes to the registry (it has no login): services pull by digest", async () => {
    const web = `hop3-${app}-w-web`;
    const pinned = JSON.parse(docker(["service", "inspect", web]))[0].Spec.TaskTemplate.ContainerSpec.Image as string;
    const tagged = pinned.replace(/@sha256:.*$/, "");
    const ours = docker(["image", "inspect", "--format", "{{.Id}}", tagged]).trim();
    docker(["tag", images.broken!, tagged]);
    docker(["push", "--quiet", tagged]);
    // Every task replaced: each pulls the image again, by the digest of the spec.
    docker(["service", "update", "--quiet", "--force", web]);
    expect((await get()).body.trim()).toBe("v1");
    expect(JSON.parse(docker(["service", "inspect", web]))[0].Spec.TaskTemplate.ContainerSpec.Image).toBe(pinned);
    // The engine's copy as it was: the pushed tag (and its digest) off the stand-in, back on ours.
    docker(["image", "rm", tagged]);
    docker(["tag", ours, tagged]);
  });

  it("is stopped and started with the server, and started again by the schedule when it died", async () => {
    const address = ownRegistry();
    await deployer.stopService!(contextFor());
    expect(await deployer.serviceStatus!(contextFor())).toMatchObject({ running: false });
    expect(await checkSwarmRegistry(home, undefined, process.env)).toEqual({ ok: false, detail: `Hop3's on ${address} is not running (hop3 server stop): hop3 server start` });
    // Stopped on purpose: the schedule leaves it so.
    expect(await deployer.maintain!(contextFor())).toEqual([]);
    const started = await deployer.startService!(contextFor());
    expect(started).toMatchObject({ running: true, detail: expect.stringContaining(address) });
    process.kill(started.pid!, "SIGKILL");
    await waitFor(() => (deployer.maintain!(contextFor()) as Promise<readonly string[]>).then((lines) => lines.length > 0 && lines), 10_000, "the schedule to start the registry again");
    expect(await deployer.serviceStatus!(contextFor())).toMatchObject({ running: true, detail: expect.stringContaining(address) });
    expect(ownRegistry()).toBe(address);
  });

  it("gives the app no host path, no privilege and no capability", () => {
    const spec = JSON.parse(docker(["service", "inspect", `hop3-${app}-w-web`]))[0].Spec.TaskTemplate.ContainerSpec;
    expect(spec.Mounts).toBeUndefined();
    expect(spec.CapabilityAdd).toBeUndefined();
    expect(spec.Privileges).toBeUndefined();
    const container = docker(["ps", "-q", "--filter", `label=com.docker.swarm.service.name=hop3-${app}-w-web`]).trim().split("\n")[0]!;
    const host = JSON.parse(docker(["inspect", container]))[0];
    expect(host.HostConfig.Privileged).toBe(false);
    expect(host.HostConfig.Binds).toBeNull();
    expect(host.HostConfig.CapAdd).toBeNull();
    expect(host.Config.User).toBe("1000");
  });

  it("scales to 3 tasks", async () => {
    const status = await deployer.scale(app, contextFor(undefined, { scale: { web: 3 } }));
    expect(status.workers.filter((w) => w.state === "running").map((w) => w.instance)).toEqual([1, 2, 3]);
    expect(status.state).toBe("running");
  });

  it("rolls to a new release start-first under load, gated by the health check, with no failed request", async () => {
    const artifact = imageArtifact(app, images.v2!);
    const load = loadThrough(() => get());
    await new Promise((resolve) => setTimeout(resolve, 500));
    const status = await deployer.deploy(artifact, contextFor(artifact));
    const { ok, failed, bodies } = await load.stop();
    expect(failed).toEqual([]);
    expect(ok).toBeGreaterThan(20);
    expect(bodies).toEqual(new Set(["v1", "v2"]));
    expect(status.workers.filter((w) => w.state === "running")).toHaveLength(3);
    expect((await get()).body.trim()).toBe("v2");
  });

  it("reports a release that fails its health check, which Swarm rolled back while the old one kept serving", async () => {
    const artifact = imageArtifact(app, images.broken!);
    const load = loadThrough(() => get());
    const error = await caught(() => deployer.deploy(artifact, contextFor(artifact)));
    const { failed, bodies } = await load.stop();
    expect(error.code).toBe("SWARM_UPDATE_ROLLED_BACK");
    expect(failed).toEqual([]);
    expect(bodies).toEqual(new Set(["v2"]));
    expect((await get()).body.trim()).toBe("v2");
  });

  it("goes back to a kept release (hop3 rollback) with its image as kept, building nothing", async () => {
    const kept = docker(["image", "ls", serviceImages(), "--format", "{{.Tag}}"]).trim().split("\n").sort();
    const artifact = imageArtifact(app, images.v1!);
    const load = loadThrough(() => get());
    await deployer.deploy(artifact, contextFor(artifact));
    const { failed, bodies } = await load.stop();
    expect(failed).toEqual([]);
    expect(bodies).toEqual(new Set(["v1", "v2"]));
    expect((await get()).body.trim()).toBe("v1");
    expect(docker(["image", "ls", serviceImages(), "--format", "{{.Tag}}"]).trim().split("\n").sort()).toEqual(kept);
  });

  it("refuses to touch the swarm when the registry the nodes pull from does not answer", async () => {
    const closed = await freePort();
    const withRegistry = createSwarmDeployer({ registry: `127.0.0.1:${closed}` });
    const artifact = imageArtifact(app, images.v2!);
    try {
      const error = await caught(() => withRegistry.deploy(artifact, contextFor(artifact)));
      expect(error.code).toBe("SWARM_REGISTRY_UNREACHABLE");
      expect((await get()).body.trim()).toBe("v1");
    } finally {
      for (const image of docker(["image", "ls", `127.0.0.1:${closed}/hop3-swarm/${app}`, "--format", "{{.Repository}}:{{.Tag}}"]).trim().split("\n").filter(Boolean)) tryDocker(["image", "rm", image]);
    }
  });

  it("destroys its services, secrets, network and images, and nothing else", async () => {
    await deployer.destroy(app, contextFor());
    expect(appServices()).toEqual([]);
    expect(docker(["secret", "ls", "--filter", `label=hop3.app=${app}`, "-q"]).trim()).toBe("");
    expect(docker(["network", "ls", "--filter", `label=hop3.app=${app}`, "-q"]).trim()).toBe("");
    expect(docker(["image", "ls", serviceImages(), "-q"]).trim()).toBe("");
    // The builder's images, another app's service and secret stay.
    expect(docker(["image", "ls", `hop3/${app}`, "--format", "{{.Tag}}"]).trim().split("\n").sort()).toEqual(["broken", "v1", "v2"]);
    expect(docker(["service", "ls", "--filter", `label=hop3.app=${other}`, "--format", "{{.Name}}"]).trim()).toBe(`hop3-${other}-w-web`);
    expect(docker(["secret", "ls", "--filter", `label=hop3.app=${other}`, "--format", "{{.Name}}"]).trim()).toBe(`hop3-${other}-env-keep`);
    expect((await deployer.status(app, contextFor())).state).toBe("absent");
    await deployer.destroy(`never${suffix}`, contextFor());
    expect((await get()).status).not.toBe(200);
  });
});

describe("the Swarm deployer with a registry", () => {
  it("pushes the images to the registry the nodes pull from and runs the services from it", async () => {
    const registry = await startRegistry(home);
    const pulled = `${app}r`;
    try {
      const withRegistry = createSwarmDeployer({ registry: registry.address, updateMonitorSeconds: 1 });
      const image = buildAppImage(pulled, "v1", { version: "from-registry" });
      images.pulled = image;
      const artifact = imageArtifact(pulled, image);
      const context = { ...testDeployContext(home, router, { startTimeoutSeconds: 10 }) };
      await withRegistry.deploy(artifact, context);
      expect((await httpGet(httpPort, `${pulled}.localhost`, "/")).body.trim()).toBe("from-registry");
      const spec = JSON.parse(docker(["service", "inspect", `hop3-${pulled}-w-web`]))[0].Spec.TaskTemplate.ContainerSpec;
      // Resolved to the registry's digest: every node pulls the same image.
      expect(spec.Image).toMatch(new RegExp(`^${registry.address.replace(/\./g, "\\.")}/hop3-swarm/${pulled}:[0-9a-f]{12}@sha256:`));
      expect(JSON.parse(await registry.catalog()).repositories).toContain(`hop3-swarm/${pulled}`);
      await withRegistry.destroy(pulled, context);
      expect(docker(["service", "ls", "--filter", `label=hop3.app=${pulled}`, "-q"]).trim()).toBe("");
      expect(docker(["image", "ls", `${registry.address}/hop3-swarm/${pulled}`, "-q"]).trim()).toBe("");
    } finally {
      await registry.stop();
    }
  });
});
