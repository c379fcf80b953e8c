import { cpSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDistribution, type Distribution } from "@hop3/core";
import { nixPlugin } from "@hop3/builder-nix";
import { uwsgiDeployerPlugin } from "@hop3/deployer-uwsgi";
import { nginxRouterPlugin } from "@hop3/router-nginx";
import { swarmDeployerPlugin } from "../src/index.js";
import { caught, docker, ensureSwarmEngine, freePort, httpGet, processesUnder, removeTemps, startRegistry, tempDir, tryDocker, waitFor } from "./helpers.js";

// A Nix app through the whole pipeline, moved between deployers by hop3.toml [run] deployer: on
// uWSGI, then its closure packed into an image and run as a Swarm service (pulled from a real
// registry), back to uWSGI by a deploy that fails (the service keeps serving), then by one that
// passes (the services go). The real nix-build, uWSGI, dockerd in swarm mode, registry and nginx.
const FIXTURE = resolve(import.meta.dirname, "../../../test-fixtures/apps/nix-busybox");
const app = "nixsw";
let home: string;
let source: string;
let httpPort: number;
let hop3: Distribution;
let registry: Awaited<ReturnType<typeof startRegistry>>;

const get = (path = "/") => httpGet(httpPort, `${app}.localhost`, path);
const services = () => docker(["service", "ls", "--filter", `label=hop3.app=${app}`, "--format", "{{.Name}}"]).trim().split("\n").filter(Boolean).sort();
const vassalsDir = () => join(home, "uwsgi", "vassals");
const uwsgiVassals = () => (existsSync(vassalsDir()) ? readdirSync(vassalsDir()).filter((name) => name.startsWith(`${app}_`)) : []);
/** Writes the app's hop3.toml: the deployer it asks for and, for a broken release, a check it fails. */
function configure(deployer: string | undefined, healthPath = "/"): string {
  writeFileSync(join(source, "hop3.toml"), `[run]\nstart-timeout = 10\n${deployer !== undefined ? `deployer = "${deployer}"\n` : ""}\n[healthcheck]\npath = "${healthPath}"\n`);
  return source;
}

beforeAll(async () => {
  ensureSwarmEngine();
  home = join(tempDir(), "home");
  source = join(tempDir(), app);
  cpSync(FIXTURE, source, { recursive: true });
  httpPort = await freePort();
  registry = await startRegistry(tempDir());
  const env = { ...process.env, HOP3_HOME: home, NIX_CONFIG: "substituters =\n" };
  hop3 = createDistribution({
    plugins: [nixPlugin(), uwsgiDeployerPlugin(), swarmDeployerPlugin({ registry: registry.address, updateMonitorSeconds: 1 }), nginxRouterPlugin({ httpPort }, env)],
    env,
  });
}, 120_000);

afterAll(async () => {
  if (existsSync(join(home, "apps", app))) await hop3.destroy(app).catch(() => undefined);
  for (const service of services()) tryDocker(["service", "rm", service]);
  const context = hop3.operationContext();
  for (const deployer of hop3.registry.deployers()) await deployer.stopService?.(context);
  await hop3.router().stop(context);
  await registry.stop();
  expect(processesUnder(home)).toEqual([]);
  removeTemps();
}, 120_000);

describe.sequential("hop3.toml [run] deployer, and Nix apps on Swarm", () => {
  it("refuses a deployer the server does not have, naming the file, the line and the ones it has, before building", async () => {
    const error = await caught(() => hop3.deploy({ dir: configure("kubernetes") }));
    expect(error.code).toBe("DEPLOYER_UNKNOWN");
    expect(error.message).toBe(`${join(source, "hop3.toml")} line 3: [run] deployer "kubernetes": this server has no deployer of that name. Deployers: uwsgi, swarm.`);
    expect(existsSync(join(home, "apps", app))).toBe(false);
  });

  it("runs the app on uWSGI when it names no deployer (the first that takes its shape)", async () => {
    const outcome = await hop3.deploy({ dir: configure(undefined) });
    expect(outcome.deployer).toBe("uwsgi");
    expect((await get()).body).toContain("hello from nix-busybox");
    expect(uwsgiVassals()).not.toEqual([]);
  }, 120_000);

  it("moves it to Swarm: its closure as an image, from the registry, as a non-root user; uWSGI's processes and state go", async () => {
    const outcome = await hop3.deploy({ dir: configure("swarm") });
    expect(outcome.deployer).toBe("swarm");
    expect((await get()).body).toContain("hello from nix-busybox");
    expect(services()).toEqual([`hop3-${app}-edge`, `hop3-${app}-w-web`]);
    const spec = JSON.parse(docker(["service", "inspect", `hop3-${app}-w-web`]))[0].Spec.TaskTemplate.ContainerSpec;
    expect(spec.Image).toMatch(new RegExp(`^${registry.address.replace(/\./g, "\\.")}/hop3-swarm/${app}:[0-9a-f]{12}@sha256:`));
    const container = docker(["ps", "-q", "--filter", `label=com.docker.swarm.service.name=hop3-${app}-w-web`]).trim().split("\n")[0]!;
    expect(JSON.parse(docker(["inspect", container]))[0].Config.User).toBe("65534:65534");
    // The image holds the closure and nothing else: no /bin, no /usr, no nix.
    const closure = docker(["image", "ls", `hop3-swarm/${app}`, "--format", "{{.Tag}}"]).split("\n").find((tag) => tag.startsWith("nix-"))!;
    const layers = JSON.parse(docker(["image", "inspect", `hop3-swarm/${app}:${closure}`]))[0].RootFS.Layers as string[];
    expect(layers).toHaveLength(2);
    // uWSGI ran the previous release: its vassals, processes and state are gone, the route is Swarm's.
    expect(uwsgiVassals()).toEqual([]);
    expect(existsSync(join(home, "apps", app, "deploy"))).toBe(false);
    expect((await hop3.status(app)).deployment.workers.map((w) => [w.worker, w.state])).toEqual([["web", "running"]]);
  }, 600_000);

  it("keeps the Swarm service serving when a deploy back to uWSGI fails its health check", async () => {
    const error = await caught(() => hop3.deploy({ dir: configure("uwsgi", "/missing") }));
    expect(error.code).toBe("HEALTH_CHECK_FAILED");
    expect((await get()).body).toContain("hello from nix-busybox");
    expect(services()).toEqual([`hop3-${app}-edge`, `hop3-${app}-w-web`]);
    expect(uwsgiVassals()).toEqual([]);
  }, 300_000);

  it("moves it back to uWSGI once a release passes: the Swarm services, secrets and images go", async () => {
    const outcome = await hop3.deploy({ dir: configure("uwsgi") });
    expect(outcome.deployer).toBe("uwsgi");
    expect((await get()).body).toContain("hello from nix-busybox");
    expect(services()).toEqual([]);
    await waitFor(() => docker(["secret", "ls", "--filter", `label=hop3.app=${app}`, "-q"]).trim() === "", 30_000, "the app's secrets to go");
    expect(docker(["image", "ls", `hop3-swarm/${app}`, "-q"]).trim()).toBe("");
  }, 300_000);

  it("destroys the app, leaving nothing on either deployer", async () => {
    await hop3.destroy(app);
    expect(services()).toEqual([]);
    expect(uwsgiVassals()).toEqual([]);
    expect((await get()).status).not.toBe(200);
  }, 120_000);
});
