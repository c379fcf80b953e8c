import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineBench } from "@hop3/bench";
import type { BuildArtifact, DeployContext, Router } from "@hop3/core";
import { createUwsgiDeployer, ensureEmperor, stopEmperor } from "@hop3/deployer-uwsgi";
import { createNginxRouter } from "@hop3/router-nginx";
import { testDeployContext } from "@hop3/test-support";

// From deploy() to the app's first 200, against starting the same command by hand and waiting for
// its first 200: what the deployer (launcher, vassal, emperor wake-up, readiness wait, route) adds.
// The system's python, by its path: one found first on root's PATH (pyenv's shims under /root) is not
// runnable by the app's user.
const PYTHON = "/usr/bin/python3";
const COMMAND = `${PYTHON} -m http.server $PORT --bind $BIND_ADDRESS`;
const POLL_MS = 2;

const home = mkdtempSync(join(tmpdir(), "h3uw-bench-"));
const appDir = join(home, "site");
const deployer = createUwsgiDeployer();
const cleanups: Array<() => Promise<unknown>> = [];
let counter = 0;
let httpPort = 0;
let nginx: Router;

/** A router that routes nothing: the direct case measures the deployer and uWSGI alone. */
const noRouter: Router = {
  apiVersion: 1,
  name: "none",
  ensureRunning: async () => ({ running: true, listen: "", apps: [] }),
  apply: async (route) => ({ url: `http://${route.app}.localhost/` }),
  remove: async () => undefined,
  urlFor: (app) => `http://${app}.localhost/`,
  status: async () => ({ running: true, listen: "", apps: [] }),
  stop: async () => undefined,
};

const context = (router: Router): DeployContext => testDeployContext(home, router);

const artifact = (app: string): BuildArtifact => ({
  apiVersion: 1,
  kind: "generic",
  location: appDir,
  builder: "bench",
  appName: app,
  buildId: app,
  builtAt: new Date().toISOString(),
  metadata: {},
  runtime: { workers: { web: COMMAND }, env: {}, path: [], workingDir: appDir },
});

function get(port: number, host: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { host }, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve(0));
    req.end();
  });
}

async function firstOk(port: number, host = `127.0.0.1:${port}`): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await get(port, host)) !== 200) {
    if (Date.now() > deadline) throw new Error(`no 200 from ${host} within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The same command, started by hand the way a shell would, with the variables Hop3 would give it. */
async function startDirectly(): Promise<void> {
  const port = await freePort();
  const child: ChildProcess = spawn("/bin/sh", ["-c", `exec ${COMMAND}`], {
    cwd: appDir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), BIND_ADDRESS: "127.0.0.1" },
    stdio: "ignore",
  });
  cleanups.push(async () => {
    child.kill("SIGTERM");
    await new Promise((resolve) => (child.exitCode === null ? child.once("exit", resolve) : resolve(undefined)));
  });
  await firstOk(port);
}

/** A first deploy of a new app each time (a new name), then its first 200. */
async function deployAndWait(router: Router, throughNginx: boolean): Promise<void> {
  const app = `bench-${++counter}`;
  const ctx = context(router);
  cleanups.push(() => deployer.destroy(app, ctx));
  const status = await deployer.deploy(artifact(app), ctx);
  if (throughNginx) await firstOk(httpPort, `${app}.localhost`);
  else await firstOk(status.workers[0]!.port!);
}

export default defineBench({
  name: "deployer-uwsgi",
  async setup() {
    mkdirSync(appDir, { recursive: true });
    writeFileSync(join(appDir, "index.html"), "<h1>bench</h1>\n");
    httpPort = await freePort();
    nginx = createNginxRouter({ httpPort });
    // A server's emperor and nginx already run when an app is deployed.
    await ensureEmperor(home, { uwsgi: "uwsgi", frequency: 1, inheritEnv: ["PATH", "HOME"] }, { env: process.env });
    await nginx.ensureRunning(context(nginx));
    return async () => {
      await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
      await stopEmperor(home);
      await nginx.stop(context(nginx));
      rmSync(home, { recursive: true, force: true });
    };
  },
  cases: [
    {
      name: "first deploy to first 200, straight to the port",
      subject: { label: "deploy() + GET :PORT", run: () => deployAndWait(noRouter, false) },
      baseline: { label: "sh -c <command> + GET :PORT", run: startDirectly },
      beforeEach: async () => void (await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()))),
      iterations: 10,
      goal: "< 300 ms overhead",
    },
    {
      name: "first deploy to first 200, through nginx",
      // deploy() starts where a build ends: this is a prebuilt app's first deploy, build end to first 200.
      subject: { label: "deploy() + GET via nginx", run: () => deployAndWait(nginx, true) },
      baseline: { label: "sh -c <command> + GET :PORT", run: startDirectly },
      beforeEach: async () => void (await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()))),
      iterations: 10,
      goal: "< 0.5 s from the build's end",
    },
  ],
});
