import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Hop3Error, type Router } from "@hop3/core";
import { createUwsgiDeployer, stopEmperor } from "@hop3/deployer-uwsgi";
import { PYTHON, caught, deployContext, getReport, httpGet, makeArtifact, nginxRouter, pgrep, pidOf, portOf, processesUnder, removeTempHomes, reportDir, tempHome, waitFor, writeApp } from "./helpers.js";

// The real uWSGI emperor and the real nginx router: deploy, serve, respawn, stop, start, restart.
describe("uWSGI deployer life cycle", () => {
  const home = tempHome();
  const dir = writeApp(home, "demo");
  const workingDir = join(dir, "wd");
  mkdirSync(join(dir, "bin"), { recursive: true });
  mkdirSync(workingDir, { recursive: true });
  const report = join(reportDir(home), "worker-report.json");
  const deployer = createUwsgiDeployer({ startTimeoutSeconds: 20 });
  let router: Router;
  let httpPort: number;
  const context = (overrides: Parameters<typeof deployContext>[2] = {}) =>
    deployContext(home, router, {
      env: { ...process.env, HOP3_TEST_SECRET: "must-not-leak" },
      appEnv: { FROM_APP: "app", SHARED: "app", BOTH: "app" },
      userEnv: { SHARED: "user", BIND_ADDRESS: "0.0.0.0", PORT: "1" },
      domains: ["demo.example.org"],
      ...overrides,
    });
  const artifact = makeArtifact("demo", dir, {
    workers: { web: `${PYTHON} ${dir}/server.py`, worker: `${PYTHON} ${dir}/worker.py` },
    env: { FROM_ARTIFACT: "artifact", BOTH: "artifact", SHARED: "artifact", APP_LABEL: "demo", REPORT_FILE: report },
    path: [join(dir, "bin"), "relative/bin"],
    workingDir,
  });

  beforeAll(async () => {
    ({ router, httpPort } = await nginxRouter());
  });

  afterAll(async () => {
    await stopEmperor(home);
    await router.stop(deployContext(home, router));
    expect(processesUnder(home)).toEqual([]);
    expect(pgrep(home)).toEqual([]);
  });

  it("runs against the real uWSGI 2.0 (a missing uwsgi fails these tests)", () => {
    expect(execFileSync("uwsgi", ["--version"], { encoding: "utf8" })).toMatch(/^2\.0\./);
  });

  it("deploys: the web worker answers on its port and through nginx with the merged environment", async () => {
    const ctx = context();
    const status = await deployer.deploy(artifact, ctx);
    expect(status.state).toBe("running");
    expect(status.url).toBe(router.urlFor("demo"));
    const port = portOf(status);

    const direct = await getReport(port);
    // artifact < hop3.toml [env] < config set < what Hop3 assigns
    expect(direct.env).toMatchObject({ FROM_ARTIFACT: "artifact", FROM_APP: "app", BOTH: "app", SHARED: "user", PORT: String(port), BIND_ADDRESS: "127.0.0.1", HOP3_INSTANCE: "demo_web.1" });
    expect(ctx.logger.entries.filter((e) => e.level === "warn").map((e) => e.text)).toEqual([
      "PORT is assigned by Hop3; the value set for the app is ignored.",
      "BIND_ADDRESS is assigned by Hop3; the value set for the app is ignored.",
    ]);
    expect(direct.cwd).toBe(workingDir);
    expect(direct.env.PATH!.split(":").slice(0, 2)).toEqual([join(dir, "bin"), join(workingDir, "relative/bin")]);
    expect(direct.env.PATH).toContain("/usr/bin");
    // Only the allow-listed variables of the Hop3 process reach apps, and nothing of uWSGI's.
    expect(direct.env.HOP3_TEST_SECRET).toBeUndefined();
    expect(Object.keys(direct.env).filter((name) => name.startsWith("UWSGI_"))).toEqual([]);

    const viaNginx = await getReport(httpPort, "/some/path?q=1", "demo.localhost");
    expect(viaNginx).toMatchObject({ name: "demo", path: "/some/path?q=1", pid: direct.pid });
    expect(viaNginx.headers.Host).toBe("demo.localhost");
    expect(viaNginx.headers["X-Forwarded-For"]).toBe("127.0.0.1");
    expect((await getReport(httpPort, "/", "demo.example.org")).pid).toBe(direct.pid);
  });

  it("runs the other worker with the same environment, and the app's PORT (its web instance's) to read, not to listen on", async () => {
    const worker = await waitFor(() => existsSync(report) && (JSON.parse(readFileSync(report, "utf8")) as { env: Record<string, string>; cwd: string; pid: number }), 10_000, "the worker report");
    expect(worker.env).toMatchObject({ FROM_ARTIFACT: "artifact", BOTH: "app", SHARED: "user", BIND_ADDRESS: "127.0.0.1" });
    expect(worker.cwd).toBe(workingDir);
    const status = await deployer.status("demo", context());
    expect(worker.env.PORT).toBe(String(portOf(status)));
    expect(status.workers.map((w) => [w.worker, w.instance, w.state])).toEqual([
      ["web", 1, "running"],
      ["worker", 1, "running"],
    ]);
  });

  it("respawns a worker whose process was killed, on the same port", async () => {
    const before = await deployer.status("demo", context());
    const port = portOf(before);
    const { pid: appPid } = await getReport(port);
    process.kill(appPid, "SIGKILL");
    const answer = await waitFor(async () => {
      const next = await getReport(port);
      return next.pid !== appPid && next;
    }, 15_000, "a respawned web worker");
    expect(answer.env.PORT).toBe(String(port));
    const after = await deployer.status("demo", context());
    expect(after.state).toBe("running");
    expect(pidOf(after, "web")).not.toBe(pidOf(before, "web"));
    expect((await getReport(httpPort, "/", "demo.localhost")).pid).toBe(answer.pid);
  });

  it("a redeploy starts beside the running release on a new port, asks the health gate there, then switches and stops the old one", async () => {
    const before = await deployer.status("demo", context());
    const asked: number[] = [];
    const changed = await deployer.deploy(artifact, {
      ...context({ userEnv: { SHARED: "user", NEW_VALUE: "1" } }),
      healthGate: async ({ upstreams }) => {
        // Asked before the switch: the router still sends users to the old release.
        asked.push(...upstreams.map((u) => u.port));
        expect((await getReport(httpPort, "/", "demo.localhost")).env.PORT).toBe(String(portOf(before)));
        expect((await getReport(upstreams[0]!.port)).env.NEW_VALUE).toBe("1");
      },
    });
    expect(asked).toEqual([portOf(changed)]);
    expect(portOf(changed)).not.toBe(portOf(before));
    expect(pidOf(changed, "web")).not.toBe(pidOf(before, "web"));
    expect(pidOf(changed, "worker")).not.toBe(pidOf(before, "worker"));
    expect((await getReport(httpPort, "/", "demo.localhost")).env.NEW_VALUE).toBe("1");
    expect(readdirSync(join(home, "uwsgi", "vassals")).filter((f) => f.startsWith("demo_")).sort()).toEqual(["demo_web.1.b.ini", "demo_worker.1.b.ini"]);
    // The old release is the emperor's to stop: the deploy does not wait for it.
    await waitFor(() => httpGet(portOf(before)!, "127.0.0.1").then(() => false, (error: Error) => /ECONNREFUSED/.test(error.message)), 10_000, "the old release to stop");
  });

  it("a release that fails the health gate is stopped and the running one keeps serving, untouched", async () => {
    const before = await deployer.status("demo", context());
    const error = await caught(() =>
      deployer.deploy(artifact, { ...context(), healthGate: async () => Promise.reject(new Hop3Error({ code: "HEALTH_CHECK_FAILED", message: "no", hint: "h" })) }),
    );
    expect(error.code).toBe("HEALTH_CHECK_FAILED");
    expect(error.message).toContain(`The running release (build ${artifact.buildId}) was left serving; the new one was stopped.`);
    const after = await deployer.status("demo", context());
    expect(after.state).toBe("running");
    expect(portOf(after)).toBe(portOf(before));
    expect(pidOf(after, "web")).toBe(pidOf(before, "web"));
    expect(readdirSync(join(home, "uwsgi", "vassals")).filter((f) => f.startsWith("demo_")).sort()).toEqual(["demo_web.1.b.ini", "demo_worker.1.b.ini"]);
  });

  it("restart gives every instance a new process, started beside the old one, with changed config applied", async () => {
    const before = await deployer.status("demo", context());
    const { pid: appPid } = await getReport(portOf(before));
    const after = await deployer.restart("demo", context({ userEnv: { SHARED: "changed" } }));
    expect(after.state).toBe("running");
    expect(portOf(after)).not.toBe(portOf(before));
    expect(pidOf(after, "web")).not.toBe(pidOf(before, "web"));
    expect(pidOf(after, "worker")).not.toBe(pidOf(before, "worker"));
    const report = await getReport(portOf(after));
    expect(report.pid).not.toBe(appPid);
    expect(report.env.SHARED).toBe("changed");
  });

  it("switches without reloading nginx: each slot keeps its ports, and a redeploy that changes nothing keeps the running processes", async () => {
    const nginxWorkers = () => {
      const master = readFileSync(join(home, "nginx", "nginx.pid"), "utf8").trim();
      return readFileSync(`/proc/${master}/task/${master}/children`, "utf8").trim();
    };
    const first = await deployer.restart("demo", context({ userEnv: { SHARED: "changed" } }));
    const workers = nginxWorkers();
    const second = await deployer.restart("demo", context({ userEnv: { SHARED: "changed" } }));
    const third = await deployer.restart("demo", context({ userEnv: { SHARED: "changed" } }));
    expect(portOf(third)).toBe(portOf(first)); // back in the first slot, on its port
    expect(portOf(second)).not.toBe(portOf(first));
    expect(nginxWorkers()).toBe(workers);
    expect((await getReport(httpPort, "/", "demo.localhost")).env.PORT).toBe(String(portOf(third)));

    const kept = await deployer.deploy(artifact, context({ userEnv: { SHARED: "changed" } }));
    expect(pidOf(kept, "web")).toBe(pidOf(third, "web"));
    expect(pidOf(kept, "worker")).toBe(pidOf(third, "worker"));
    expect(portOf(kept)).toBe(portOf(third));
    const changed = await deployer.deploy(artifact, context({ userEnv: { SHARED: "changed again" } }));
    expect(pidOf(changed, "web")).not.toBe(pidOf(third, "web"));
    expect((await getReport(httpPort, "/", "demo.localhost")).env.SHARED).toBe("changed again");
    expect(nginxWorkers()).toBe(workers);
  });

  it("stop removes the vassals, the processes and the route; start brings them back on the same port", async () => {
    const before = await deployer.status("demo", context());
    const port = portOf(before);
    const stopped = await deployer.stop("demo", context());
    expect(stopped.state).toBe("stopped");
    expect(stopped.workers.every((w) => w.state === "stopped" && w.pid === undefined)).toBe(true);
    expect(readdirSync(join(home, "uwsgi", "vassals")).filter((f) => f.startsWith("demo_"))).toEqual([]);
    expect(processesUnder(home).filter((p) => p.includes(dir))).toEqual([]);
    await expect(httpGet(port, "127.0.0.1")).rejects.toThrow(/ECONNREFUSED/);
    expect((await httpGet(httpPort, "demo.localhost", "/")).status).not.toBe(200);

    const started = await deployer.start("demo", context());
    expect(started.state).toBe("running");
    expect(portOf(started)).toBe(port);
    expect((await getReport(httpPort, "/", "demo.localhost")).env.PORT).toBe(String(port));
  });

  it("start of a running app leaves its processes alone", async () => {
    const before = await deployer.status("demo", context());
    const after = await deployer.start("demo", context());
    expect(pidOf(after, "web")).toBe(pidOf(before, "web"));
    expect(pidOf(after, "worker")).toBe(pidOf(before, "worker"));
  });

  it("after its emperor is killed: status says so, and start sweeps what the dead vassals left and serves again", async () => {
    const port = portOf(await deployer.status("demo", context()));
    const { pid: orphan } = await getReport(port);
    const emperorPid = Number(readFileSync(join(home, "uwsgi", "emperor.pid"), "utf8"));
    process.kill(emperorPid, "SIGKILL");
    // The vassals die with their emperor and uWSGI kills each launcher, but usually not the
    // launcher's child, which keeps the port (how often depends on timing: not asserted here).
    // (A uWSGI program, not any line that says "uwsgi": a checkout's path may.)
    await waitFor(() => processesUnder(home).every((p) => !/\/uwsgi(-core)? --/.test(p)), 15_000, "the vassals to die with their emperor");

    const down = await deployer.status("demo", context());
    expect(down.state).toBe("stopped");
    expect(down.workers.map((w) => w.detail)).toEqual(["the uWSGI emperor is not running", "the uWSGI emperor is not running"]);

    const up = await deployer.start("demo", context());
    expect(up.state).toBe("running");
    expect(portOf(up)).toBe(port);
    expect(Number(readFileSync(join(home, "uwsgi", "emperor.pid"), "utf8"))).not.toBe(emperorPid);
    expect((await getReport(port)).pid).not.toBe(orphan);
    expect(processesUnder(home).some((p) => p.startsWith(`${orphan} `))).toBe(false);
  });

  it("lists the app's log files, one per instance, for `hop3 logs`", async () => {
    const logs = await deployer.logFiles!("demo", context());
    expect(logs).toEqual([
      { worker: "web", instance: 1, path: join(home, "apps", "demo", "logs", "web.1.log") },
      { worker: "worker", instance: 1, path: join(home, "apps", "demo", "logs", "worker.1.log") },
    ]);
    expect(readFileSync(logs[0]!.path, "utf8")).toContain(`serving on 127.0.0.1 ${portOf(await deployer.status("demo", context()))}`);
    expect(await deployer.logFiles!("never-deployed", context())).toEqual([]);
  });

  it("answers for apps it never deployed", async () => {
    expect(await deployer.status("never-deployed", context())).toEqual({ app: "never-deployed", state: "absent", workers: [] });
    const error = await caught(() => deployer.start("never-deployed", context()));
    expect(error.code).toBe("UWSGI_APP_NOT_DEPLOYED");
    expect(error.hint).toMatch(/Deploy the app first/);
    expect(await deployer.stop("never-deployed", context())).toEqual({ app: "never-deployed", state: "absent", workers: [] });
    expect((await caught(() => deployer.stop("../etc", context()))).code).toBe("APP_NAME_INVALID");
  });

  it("lays the app's files out for its user: its own launchers, pid files and socket directory in root's directories", () => {
    const app = join(home, "apps", "demo");
    const user = statSync(join(app, "data"));
    expect(user.uid).not.toBe(0);
    const mode = (path: string) => ({ mode: (statSync(path).mode & 0o7777).toString(8), uid: statSync(path).uid, gid: statSync(path).gid });
    const root = (octal: string) => ({ mode: octal, uid: 0, gid: 0 });
    const own = (octal: string) => ({ mode: octal, uid: user.uid, gid: user.gid });
    expect(mode(join(app, "run"))).toEqual(root("711"));
    expect(readdirSync(join(app, "run")).sort()).toEqual(["web.1.pid", "web.1.sh", "worker.1.pid", "worker.1.sh"]);
    for (const file of readdirSync(join(app, "run"))) expect(mode(join(app, "run", file)), file).toEqual(own("600"));
    expect(mode(join(app, "deploy"))).toEqual(root("700"));
    expect(readdirSync(join(app, "deploy")).sort()).toEqual(["artifact.json", "state.json"]);
    for (const file of ["artifact.json", "state.json"]) expect(mode(join(app, "deploy", file))).toEqual(root("600"));
    expect(mode(join(app, "logs"))).toEqual(root("700"));
    expect(readdirSync(join(app, "logs")).sort()).toEqual(["web.1.log", "worker.1.log"]);
    expect(mode(join(home, "uwsgi", "sockets", "demo"))).toEqual(own("700"));
    expect(mode(join(home, "uwsgi"))).toEqual(root("711"));
    expect(mode(join(home, "uwsgi", "vassals"))).toEqual(root("700"));
  });
});

afterAll(removeTempHomes);
