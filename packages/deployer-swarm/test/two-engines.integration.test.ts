import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Router } from "@hop3/core";
import { createNginxRouter } from "@hop3/router-nginx";
import { startTestSwarm, type TestSwarm } from "@hop3/test-support/engines";
import { createSwarmDeployer } from "../src/index.js";
import { ensureRegistry } from "../src/registry.js";
import { buildAppImage, caught, docker, loadThrough, freePort, httpGet, imageArtifact, processesUnder, removeTemps, tempDir, testDeployContext, waitFor } from "./helpers.js";

// Two real engines: a manager and a worker, each a dockerd in its own network namespace, joined as
// one swarm over a veth link. The nodes pull from Hop3's own registry (on this host's loopback,
// forwarded into each namespace), and nginx reaches the app's edge on the manager.
const app = "twonodes";
let home: string;
let router: Router;
let httpPort: number;
let swarm: TestSwarm;
const images: Record<string, string> = {};
// An update waited out to its timeout would be SWARM_UPDATE_PAUSED, well within the test's time.
const deployer = createSwarmDeployer({ updateMonitorSeconds: 1, updateTimeoutSeconds: 180 });

const context = () => testDeployContext(home, router, { startTimeoutSeconds: 10, scale: { web: 2 } });
const get = (path = "/") => httpGet(httpPort, `${app}.localhost`, path);
const web = `hop3-${app}-w-web`;
/** The node of each task Swarm wants running, sorted. */
const nodesOf = (service: string) => swarm.manager.docker(["service", "ps", service, "--filter", "desired-state=running", "--format", "{{.Node}}"]).trim().split("\n").sort();

beforeAll(async () => {
  home = tempDir();
  httpPort = await freePort();
  router = createNginxRouter({ httpPort });
  // The registry first: its port is forwarded into each engine's namespace.
  const { address } = await ensureRegistry(testDeployContext(home, router));
  swarm = await startTestSwarm({ dir: mkdtempSync("/tmp/h3e-"), hostLoopbackPorts: [Number(address.split(":")[1])] });
  // Every docker command of this file, the deployer's included, goes to the manager.
  process.env.DOCKER_HOST = swarm.manager.host;
  images.v1 = buildAppImage(app, "v1", { version: "v1" });
}, 180_000);

afterAll(async () => {
  await router.stop(testDeployContext(home, router));
  await swarm?.stop();
  await deployer.stopService!(testDeployContext(home, router));
  expect(processesUnder(home)).toEqual([]);
  removeTemps();
}, 180_000);

describe("the Swarm deployer on two engines", () => {
  it("runs a service of 2 replicas on both engines, the worker pulling from Hop3's registry, both serving through the edge", async () => {
    const artifact = imageArtifact(app, images.v1!);
    const status = await deployer.deploy(artifact, context());
    expect(status.workers.map((w) => w.state)).toEqual(["running", "running"]);
    expect(nodesOf(web)).toEqual([swarm.manager.name, swarm.worker.name]);
    // The worker never saw the app's image but through the registry, by digest.
    const pulled = swarm.worker.docker(["image", "ls", "--digests", "--format", "{{.Repository}} {{.Digest}}"]);
    expect(pulled).toMatch(new RegExp(`^127\\.0\\.0\\.1:\\d+/hop3-swarm/${app} sha256:`, "m"));
    expect(swarm.worker.docker(["image", "ls", "-q", `hop3/${app}`]).trim()).toBe("");
    const { edgePort } = JSON.parse(readFileSync(join(home, "swarm", "apps", `${app}.json`), "utf8")) as { edgePort: number };
    await swarm.expose(edgePort);
    // Each task answers with its container's host name: both engines' tasks serve.
    const hosts = new Set<string>();
    await waitFor(async () => {
      const env = (await get("/cgi-bin/env")).body;
      hosts.add(/^HOSTNAME=(\S+)$/m.exec(env)?.[1] ?? "");
      return hosts.size >= 2;
    }, 30_000, "answers from both tasks");
    expect([...hosts].filter(Boolean)).toHaveLength(2);
    expect((await get()).body.trim()).toBe("v1");
  }, 300_000);

  it("reports a node lost during a rolling update (SWARM_NODE_LOST), rolls back, and keeps serving the release that served", async () => {
    images.v2 = buildAppImage(app, "v2", { version: "v2" });
    const artifact = imageArtifact(app, images.v2!);
    const servedBefore = JSON.parse(docker(["service", "inspect", web]))[0].Spec.TaskTemplate.ContainerSpec.Image as string;
    const startedBefore = JSON.parse(docker(["service", "inspect", web]))[0].UpdateStatus?.StartedAt;
    const load = loadThrough(() => get());
    const deploying = caught(() => deployer.deploy(artifact, context()));
    // The worker's link is cut once Swarm started rolling: the node is lost mid-update.
    await waitFor(() => JSON.parse(docker(["service", "inspect", web]))[0].UpdateStatus?.StartedAt !== startedBefore, 60_000, "the update to start");
    swarm.worker.setLinkUp(false);
    try {
      const error = await deploying;
      expect(error.code).toBe("SWARM_NODE_LOST");
      expect(error.details.nodes).toEqual([swarm.worker.name]);
      expect(error.message).toContain(`Swarm lost node ${swarm.worker.name}`);
      const { ok, failed } = await load.stop();
      expect(failed).toEqual([]);
      expect(ok).toBeGreaterThan(10);
      // The release that served serves, from the node left.
      expect(JSON.parse(docker(["service", "inspect", web]))[0].Spec.TaskTemplate.ContainerSpec.Image).toBe(servedBefore);
      expect((await get()).body.trim()).toBe("v1");
      await waitFor(() => nodesOf(web).join(" ") === `${swarm.manager.name} ${swarm.manager.name}`, 60_000, "both tasks of the release that served to run on the manager");
    } finally {
      await load.stop();
      swarm.worker.setLinkUp(true);
    }
  }, 300_000);

  it("destroys what it made on both engines", async () => {
    await deployer.destroy(app, context());
    expect(docker(["service", "ls", "--filter", `label=hop3.app=${app}`, "-q"]).trim()).toBe("");
    await waitFor(() => swarm.worker.docker(["ps", "-aq", "--filter", `label=hop3.app=${app}`]).trim() === "", 30_000, "the worker's containers to go");
  }, 120_000);
});
