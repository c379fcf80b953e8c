import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Router } from "@hop3/core";
import { createUwsgiDeployer, stopEmperor } from "@hop3/deployer-uwsgi";
import { PYTHON, caught, cgroupDirsOf, deployContext, getReport, httpGet, makeArtifact, nginxRouter, pgrep, pidOf, portOf, processesUnder, removeTempHomes, reportDir, tempHome, waitFor, writeApp } from "./helpers.js";

// Scaling, apps side by side, redeploys and destroy, against the real emperor and nginx.
describe("uWSGI deployer: scale, several apps, destroy", () => {
  const home = tempHome();
  const deployer = createUwsgiDeployer({ startTimeoutSeconds: 20 });
  let router: Router;
  let httpPort: number;
  const context = (overrides: Parameters<typeof deployContext>[2] = {}) => deployContext(home, router, overrides);
  const vassals = (app: string) => readdirSync(join(home, "uwsgi", "vassals")).filter((file) => file.startsWith(`${app}_`)).sort();
  const app = (name: string, label = name) => {
    const dir = writeApp(home, name);
    return makeArtifact(name, dir, { env: { APP_LABEL: label, REPORT_FILE: join(reportDir(home), `${name}.json`) } });
  };

  beforeAll(async () => {
    ({ router, httpPort } = await nginxRouter());
  });

  afterAll(async () => {
    await stopEmperor(home);
    await router.stop(context());
    expect(processesUnder(home)).toEqual([]);
    expect(pgrep(home)).toEqual([]);
  });

  it("scales web to 3 instances on 3 ports, each its own process, all reached through nginx; and back to 1", async () => {
    const first = await deployer.deploy(app("scaled"), context());
    const port1 = portOf(first);

    const three = await deployer.scale("scaled", context({ scale: { web: 3 } }));
    expect(three.state).toBe("running");
    const ports = [1, 2, 3].map((n) => portOf(three, n));
    expect(new Set(ports).size).toBe(3);
    expect(ports[0]).toBe(port1);
    expect(vassals("scaled")).toEqual(["scaled_web.1.ini", "scaled_web.2.ini", "scaled_web.3.ini"]);
    const pids = await Promise.all(ports.map(async (port) => (await getReport(port)).pid));
    expect(new Set(pids).size).toBe(3);
    expect(pidOf(three, "web", 1)).toBe(pidOf(first, "web", 1)); // scaling up leaves web.1 alone

    const seen = new Set<number>();
    for (let i = 0; i < 30 && seen.size < 3; i++) seen.add((await getReport(httpPort, "/", "scaled.localhost")).pid);
    expect([...seen].sort()).toEqual([...pids].sort());

    const one = await deployer.scale("scaled", context({ scale: { web: 1 } }));
    expect(one.workers.map((w) => `${w.worker}.${w.instance}:${w.state}`)).toEqual(["web.1:running"]);
    expect(portOf(one)).toBe(port1);
    expect(vassals("scaled")).toEqual(["scaled_web.1.ini"]);
    for (const port of ports.slice(1)) await expect(httpGet(port, "127.0.0.1")).rejects.toThrow(/ECONNREFUSED/);
    for (let i = 0; i < 5; i++) expect((await getReport(httpPort, "/", "scaled.localhost")).pid).toBe(pids[0]);
    expect(readdirSync(join(home, "apps", "scaled", "run")).sort()).toEqual(["web.1.pid", "web.1.sh"]);
  });

  it("refuses to scale a worker the app does not have, or to a silly count", async () => {
    const unknown = await caught(() => deployer.scale("scaled", context({ scale: { wrker: 2 } })));
    expect(unknown.code).toBe("UWSGI_SCALE_INVALID");
    expect(unknown.message).toContain('the app\'s workers are web');
    expect((await caught(() => deployer.scale("scaled", context({ scale: { web: 1000 } })))).code).toBe("UWSGI_SCALE_INVALID");
    expect((await caught(() => deployer.scale("scaled", context({ scale: { web: -1 } })))).code).toBe("UWSGI_SCALE_INVALID");
    expect(vassals("scaled")).toEqual(["scaled_web.1.ini"]);
  });

  it("runs two apps side by side on distinct ports, each routed by its own host name", async () => {
    const one = await deployer.deploy(app("rdrand", "first"), context());
    const two = await deployer.deploy(app("rdrand2", "second"), context());
    expect(portOf(one)).not.toBe(portOf(two));
    expect((await getReport(httpPort, "/", "rdrand.localhost")).name).toBe("first");
    expect((await getReport(httpPort, "/", "rdrand2.localhost")).name).toBe("second");
    expect((await getReport(portOf(two))).name).toBe("second");
  });

  it("destroy of rdrand leaves rdrand2 serving, and leaves nothing of rdrand: no file, vassal, process, socket, cgroup or route", async () => {
    const before = await deployer.status("rdrand2", context());
    const rdrandDir = join(home, "src", "rdrand");
    const port = portOf(await deployer.status("rdrand", context()));
    const cgroups = cgroupDirsOf(home, "rdrand");
    expect(cgroups.length).toBeGreaterThan(0);
    await deployer.destroy("rdrand", context());

    // Its data directory is the app's own: the CLI removes it, with the app's user, once nothing runs as it.
    expect(readdirSync(join(home, "apps", "rdrand"))).toEqual(["data"]);
    expect(existsSync(join(home, "uwsgi", "sockets", "rdrand"))).toBe(false);
    expect(cgroups.filter((dir) => existsSync(dir))).toEqual([]);
    expect(cgroupDirsOf(home, "rdrand2").every((dir) => existsSync(dir))).toBe(true);
    expect(vassals("rdrand")).toEqual([]);
    expect(vassals("rdrand2")).toEqual(["rdrand2_web.1.ini"]);
    expect(processesUnder(home).filter((p) => p.includes(`${rdrandDir}/`))).toEqual([]);
    await expect(httpGet(port, "127.0.0.1")).rejects.toThrow(/ECONNREFUSED/);
    expect((await httpGet(httpPort, "rdrand.localhost", "/")).status).not.toBe(200);
    expect(await deployer.status("rdrand", context())).toEqual({ app: "rdrand", state: "absent", workers: [] });

    const after = await deployer.status("rdrand2", context());
    expect(after.state).toBe("running");
    expect(pidOf(after, "web")).toBe(pidOf(before, "web"));
    expect((await getReport(httpPort, "/", "rdrand2.localhost")).name).toBe("second");
  });

  it("a redeploy replaces the release: new processes on a new port in the other slot, dropped workers stopped", async () => {
    const dir = writeApp(home, "redeploy");
    const withWorker = makeArtifact("redeploy", dir, {
      workers: { web: `${PYTHON} ${dir}/server.py`, worker: `${PYTHON} ${dir}/worker.py` },
      env: { APP_LABEL: "v1", REPORT_FILE: join(reportDir(home), "redeploy.json") },
    });
    const v1 = await deployer.deploy(withWorker, context());
    const port = portOf(v1);
    const workerPid = pidOf(v1, "worker")!;

    const v2 = await deployer.deploy(makeArtifact("redeploy", dir, { env: { APP_LABEL: "v2" } }, "build-2"), context());
    expect(portOf(v2)).not.toBe(port);
    expect(v2.workers.map((w) => w.worker)).toEqual(["web"]);
    expect(pidOf(v2, "web")).not.toBe(pidOf(v1, "web"));
    expect((await getReport(portOf(v2))).name).toBe("v2");
    expect((await getReport(httpPort, "/", "redeploy.localhost")).name).toBe("v2");
    expect(vassals("redeploy")).toEqual(["redeploy_web.1.b.ini"]);
    // The old release, its dropped worker too, is the emperor's to stop: the deploy does not wait for it.
    await waitFor(() => processesUnder(home).every((p) => !p.startsWith(`${workerPid} `) && !p.includes(`${dir}/worker.py`)), 10_000, "the dropped worker to stop");
  });

  it("destroys an app with several instances and a stopped one alike", async () => {
    await deployer.scale("scaled", context({ scale: { web: 2 } }));
    await deployer.stop("redeploy", context());
    await deployer.destroy("scaled", context());
    await deployer.destroy("redeploy", context());
    await deployer.destroy("redeploy", context()); // destroying twice is harmless
    for (const app of ["scaled", "redeploy"]) expect(readdirSync(join(home, "apps", app)), app).toEqual(["data"]);
    expect(readdirSync(join(home, "uwsgi", "vassals"))).toEqual(["rdrand2_web.1.ini"]);
    expect(processesUnder(home).filter((p) => p.includes("/src/scaled/") || p.includes("/src/redeploy/"))).toEqual([]);
  });
});

afterAll(removeTempHomes);
