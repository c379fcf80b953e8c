import { spawn, spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Registry, type Router } from "@hop3/core";
import { createNginxRouter, nginxRouterPlugin } from "../src/index.js";
import { caught, childrenOf, currentWorkers, freePort, httpGet, isAlive, makeDir, mastersOf, operationContext, removeMadeDirs, tempHome } from "./helpers.js";

// Starting, finding and stopping the real nginx, including after things went wrong.
describe("nginx router: process life", { timeout: 30_000 }, () => {
  const started: Array<{ router: Router; home: string }> = [];

  /** A router on a free port in a fresh HOP3_HOME, stopped after the test. */
  async function setup(options: Parameters<typeof createNginxRouter>[0] = {}) {
    const home = tempHome();
    const port = await freePort();
    const router = createNginxRouter({ httpPort: port, ...options }, {});
    started.push({ router, home });
    return { home, port, router, context: operationContext(home) };
  }

  afterEach(async () => {
    for (const { router, home } of started.splice(0)) {
      await router.stop(operationContext(home));
      expect(mastersOf(home)).toEqual([]);
      rmSync(home, { recursive: true, force: true });
    }
    removeMadeDirs();
  });

  it("stop leaves no nginx process of its own and frees the port; stopping again does nothing", async () => {
    const { router, context, port } = await setup();
    const { pid } = await router.ensureRunning(context);
    const workers = childrenOf(pid!);
    expect(workers.length).toBeGreaterThan(0);
    await router.stop(context);
    for (const process of [pid!, ...workers]) expect(isAlive(process)).toBe(false);
    expect(await router.status(context)).toMatchObject({ running: false });
    const server: Server = createServer();
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
    await new Promise((resolve) => server.close(resolve));
    await router.stop(context);
  });

  it("starts when the pid file names a dead process, or a live process that is not its nginx (never signalled)", async () => {
    const { router, context, home, port } = await setup();
    const pidFile = join(home, "nginx", "nginx.pid");
    const dead = spawnSync("true").pid!;
    const bystander = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      await router.ensureRunning(context);
      for (const stale of [dead, bystander.pid!]) {
        await router.stop(context);
        writeFileSync(pidFile, `${stale}\n`);
        const status = await router.ensureRunning(context);
        expect(status.running).toBe(true);
        expect(status.pid).not.toBe(stale);
        expect(mastersOf(home)).toEqual([status.pid]);
        expect(readFileSync(pidFile, "utf8").trim()).toBe(String(status.pid));
        expect((await httpGet(port, "x.localhost")).status).toBe(404);
      }
      expect(isAlive(bystander.pid!)).toBe(true);
    } finally {
      bystander.kill();
    }
  });

  it("recovers from a master killed with SIGKILL: its orphaned workers, which hold the port, are stopped", async () => {
    const { router, context, home, port } = await setup();
    const { pid } = await router.ensureRunning(context);
    const before = childrenOf(pid!);
    await router.apply({ app: "kept", hosts: ["kept.localhost"], upstreams: [], staticDir: makeDir({ "index.html": "kept\n" }) }, context);
    expect((await router.status(context)).pid).toBe(pid);
    // The workers serving now, once those of the configuration before `apply` are gone (they hold
    // no port and leave by themselves: they are not the orphans this is about, and a loaded machine
    // may not have titled them "shutting down" yet).
    const workers = await currentWorkers(pid!, before);
    process.kill(pid!, "SIGKILL");
    while (isAlive(pid!)) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(workers.every((pid) => isAlive(pid))).toBe(true); // nginx workers outlive their master

    const status = await router.ensureRunning(context);
    expect(status.pid).not.toBe(pid);
    expect(workers.some((pid) => isAlive(pid))).toBe(false);
    expect(mastersOf(home)).toEqual([status.pid]);
    expect(context.logger.entries.some((e) => e.level === "warn" && e.text.includes("left behind by a master that died"))).toBe(true);
    expect((await httpGet(port, "kept.localhost")).body).toBe("kept\n");
  });

  it("finds its running nginx when the pid file was deleted, and never starts a second one", async () => {
    const { router, context, home } = await setup();
    const { pid } = await router.ensureRunning(context);
    rmSync(join(home, "nginx", "nginx.pid"));
    expect((await router.ensureRunning(context)).pid).toBe(pid);
    const dir = makeDir({ "index.html": "still one nginx\n" });
    await router.apply({ app: "solo", hosts: ["solo.localhost"], upstreams: [], staticDir: dir }, context);
    expect(mastersOf(home)).toEqual([pid]);
  });

  it("applies routes concurrently, one change at a time, and every app serves", async () => {
    const { router, context, port } = await setup();
    const names = ["c1", "c2", "c3", "c4"];
    await Promise.all(names.map((app) => router.apply({ app, hosts: [`${app}.localhost`], upstreams: [], staticDir: makeDir({ "index.html": `${app}\n` }) }, context)));
    for (const app of names) expect((await httpGet(port, `${app}.localhost`)).body).toBe(`${app}\n`);
  });

  it("says which address is taken when its port is in use (NGINX_START_FAILED)", async () => {
    const { router, context, port, home } = await setup();
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(port, "127.0.0.1", resolve));
    try {
      const error = await caught(() => router.ensureRunning(context));
      expect(error.code).toBe("NGINX_START_FAILED");
      expect(error.message).toContain(`127.0.0.1:${port}`);
      expect(error.message).toContain("in use");
      expect(error.hint).toContain("HOP3_HTTP_PORT");
      expect(mastersOf(home)).toEqual([]);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it("raises NGINX_NOT_INSTALLED with the install hint when the nginx program does not exist", async () => {
    const { router, context } = await setup({ nginx: "/nonexistent/sbin/nginx" });
    const error = await caught(() => router.ensureRunning(context));
    expect(error.code).toBe("NGINX_NOT_INSTALLED");
    expect(error.hint).toContain("apt-get install nginx");
  });

  it("is registered by its plugin, and the router from a real registry routes an app", async () => {
    const registry = new Registry();
    const home = tempHome();
    const port = await freePort();
    const previous = process.env.HOP3_HTTP_PORT;
    process.env.HOP3_HTTP_PORT = String(port);
    let plugin;
    try {
      plugin = nginxRouterPlugin();
    } finally {
      if (previous === undefined) delete process.env.HOP3_HTTP_PORT;
      else process.env.HOP3_HTTP_PORT = previous;
    }
    expect(plugin.name).toBe("@hop3/router-nginx");
    registry.withPlugin(plugin.name, () => plugin.register(registry));
    const [router] = registry.routers();
    expect(router?.name).toBe("nginx");
    started.push({ router: router!, home });
    const context = operationContext(home);
    const { url } = await router!.apply({ app: "hello", hosts: ["hello.localhost"], upstreams: [], staticDir: makeDir({ "index.html": "hi\n" }) }, context);
    expect(url).toBe(`http://hello.localhost:${port}/`);
    expect((await httpGet(port, "hello.localhost")).body).toBe("hi\n");
  });
});
