import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineBench } from "@hop3/bench";
import { dockerArtifact } from "@hop3/builder-docker";
import { releaseHealth, type BuildArtifact, type DeployContext, type Deployer, type Router } from "@hop3/core";
import { createUwsgiDeployer, ensureEmperor, stopEmperor } from "@hop3/deployer-uwsgi";
import { createNginxRouter } from "@hop3/router-nginx";
import { createSwarmDeployer } from "../src/index.js";
import { buildAppImage, CONTAINER_PORT, docker, ensureSwarmEngine, freePort, testDeployContext, tryDocker } from "../test/helpers.js";

// A new release of the same Docker app, from deploy() until it serves (health-gated, routed): a
// Swarm start-first rolling update of one task against the uWSGI deployer's switch (a new
// `docker run` vassal beside the old one, then the route).
const home = mkdtempSync(join(tmpdir(), "h3sw-bench-"));
const swarm = createSwarmDeployer({ updateMonitorSeconds: 1 });
const uwsgi = createUwsgiDeployer();
let router: Router;
const images: string[] = [];
const turn: Record<string, number> = {};

function artifactOf(app: string, image: string): BuildArtifact {
  const imageId = docker(["image", "inspect", "--format", "{{.Id}}", image]).trim();
  return dockerArtifact({ appName: app, appDir: home, image, imageId, containerPort: CONTAINER_PORT, portSource: "default", dockerfile: "Dockerfile", docker: "docker", ...(process.env.DOCKER_HOST && { dockerHost: process.env.DOCKER_HOST }) });
}

function contextFor(artifact: BuildArtifact): DeployContext {
  const base = testDeployContext(home, router, { startTimeoutSeconds: 30 });
  return { ...base, healthGate: releaseHealth(artifact.appName, { startTimeoutSeconds: 30 }, artifact, base).gate };
}

/** Deploys the other of the app's two releases. */
async function nextRelease(deployer: Deployer, app: string): Promise<void> {
  turn[app] = ((turn[app] ?? 0) + 1) % 2;
  const artifact = artifactOf(app, `hop3/${app}:v${turn[app]}`);
  await deployer.deploy(artifact, contextFor(artifact));
}

export default defineBench({
  name: "deployer-swarm",
  async setup() {
    ensureSwarmEngine();
    router = createNginxRouter({ httpPort: await freePort() });
    await ensureEmperor(home, { uwsgi: "uwsgi", frequency: 1, inheritEnv: ["PATH", "HOME", "DOCKER_HOST"] }, { env: process.env });
    for (const app of ["bench-swarm", "bench-uwsgi"]) {
      for (const version of ["v0", "v1"]) images.push(buildAppImage(app, version, { version }));
    }
    // Both apps serve a first release before the measured updates.
    await nextRelease(swarm, "bench-swarm");
    await nextRelease(uwsgi, "bench-uwsgi");
    return async () => {
      const context = testDeployContext(home, router);
      await swarm.destroy("bench-swarm", context);
      await uwsgi.destroy("bench-uwsgi", context);
      await stopEmperor(home);
      await swarm.stopService?.(context); // Hop3's registry, which the first deploy started
      await router.stop(context);
      for (const image of images) tryDocker(["image", "rm", image]);
      rmSync(home, { recursive: true, force: true });
    };
  },
  cases: [
    {
      name: "a new release of a Docker app, deploy() until it serves",
      subject: { label: "Swarm rolling update (1 task, start-first)", run: () => nextRelease(swarm, "bench-swarm") },
      baseline: { label: "uWSGI switch (docker run vassal)", run: () => nextRelease(uwsgi, "bench-uwsgi") },
      iterations: 4,
      goal: "a ratio, no target: Swarm adds its own scheduling and the health check's interval",
    },
  ],
});
