import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createUwsgiDeployer, emperorStatus, ensureEmperor, stopEmperor } from "@hop3/deployer-uwsgi";
import { caught, deployContext, getReport, makeArtifact, nginxRouter, pgrep, portOf, processesUnder, removeTempHomes, SERVER_PY, tempHome, unusedRouter, writeApp } from "./helpers.js";

const settings = { uwsgi: "uwsgi", frequency: 1, inheritEnv: ["PATH", "HOME"] };
const context = { env: process.env };

/** Emperor processes watching a home's vassal folder. */
const emperorsOf = (home: string) => pgrep(`--emperor ${join(home, "uwsgi", "vassals")}`);
const readPidFile = (home: string) => Number(readFileSync(join(home, "uwsgi", "emperor.pid"), "utf8"));

// One real emperor per HOP3_HOME: started on demand, found again, replaced when stale, stopped.
describe("the uWSGI emperor of a HOP3_HOME", () => {
  const home = tempHome();
  afterAll(async () => {
    await stopEmperor(home);
    expect(processesUnder(home)).toEqual([]);
  });

  it("starts once on demand, even when asked three times at once", async () => {
    expect(emperorStatus(home)).toEqual({ running: false });
    const results = await Promise.all([1, 2, 3].map(() => ensureEmperor(home, settings, context)));
    expect(new Set(results.map((r) => r.pid)).size).toBe(1);
    expect(results.filter((r) => r.started)).toHaveLength(1);
    expect(emperorStatus(home)).toEqual({ running: true, pid: results[0]!.pid });
    expect(emperorsOf(home)).toHaveLength(1);
    expect(await ensureEmperor(home, settings, context)).toEqual({ pid: results[0]!.pid, started: false });
    // Without these, each redeploy's vassals would start one more second late (see startEmperor).
    const args = readFileSync(`/proc/${results[0]!.pid}/cmdline`, "utf8").split("\0");
    expect(args.slice(args.indexOf("--emperor-throttle"), args.indexOf("--emperor-throttle") + 4)).toEqual(["--emperor-throttle", "1", "--emperor-max-throttle", "10"]);
  });

  it("finds a running emperor whose pid file was removed instead of starting a second one", async () => {
    const pid = readPidFile(home);
    rmSync(join(home, "uwsgi", "emperor.pid"));
    expect(await ensureEmperor(home, settings, context)).toEqual({ pid, started: false });
    expect(readPidFile(home)).toBe(pid);
    expect(emperorsOf(home)).toHaveLength(1);
  });

  it("replaces a stale pid file: a dead pid, or a live process that is not this home's emperor", async () => {
    await stopEmperor(home);
    const dead = spawnSync("true").pid!;
    for (const stale of [dead, process.pid]) {
      writeFileSync(join(home, "uwsgi", "emperor.pid"), `${stale}\n`);
      expect(emperorStatus(home)).toEqual({ running: false });
      const { pid, started } = await ensureEmperor(home, settings, context);
      expect(started).toBe(true);
      expect(pid).not.toBe(stale);
      expect(readPidFile(home)).toBe(pid);
      expect(emperorsOf(home)).toHaveLength(1);
      await stopEmperor(home);
    }
    expect(emperorsOf(home)).toEqual([]);
  });

  it("stops with its vassals and their workers, and says whether one was running", async () => {
    const { router } = await nginxRouter();
    const dir = writeApp(home, "stopping");
    const ctx = deployContext(home, router);
    try {
      await createUwsgiDeployer().deploy(makeArtifact("stopping", dir), ctx);
      expect(processesUnder(home).some((p) => p.includes(`${dir}/server.py`))).toBe(true);
      expect(await stopEmperor(home)).toBe(true);
      expect(processesUnder(home).filter((p) => !p.includes("nginx"))).toEqual([]);
      expect(await stopEmperor(home)).toBe(false);
    } finally {
      await router.stop(ctx);
    }
  });
});

describe("the emperor as a service (`hop3 server`)", () => {
  const home = tempHome();
  afterAll(async () => {
    await stopEmperor(home);
    expect(processesUnder(home)).toEqual([]);
  });

  it("starts, reports and stops through the deployer", async () => {
    const deployer = createUwsgiDeployer();
    const ctx = deployContext(home, unusedRouter);
    expect(await deployer.serviceStatus!(ctx)).toMatchObject({ name: "uWSGI emperor", running: false });
    const started = await deployer.startService!(ctx);
    expect(started).toMatchObject({ name: "uWSGI emperor", running: true, pid: readPidFile(home) });
    expect(started.detail).toBe(`watching ${join(home, "uwsgi", "vassals")}, 0 vassal(s)`);
    expect((await deployer.startService!(ctx)).pid).toBe(started.pid);
    expect(await deployer.stopService!(ctx)).toMatchObject({ running: false });
    expect(emperorsOf(home)).toEqual([]);
  });

  it("returns from a start once the apps answer, and names an app that does not come up in time", async () => {
    const { router } = await nginxRouter();
    const ctx = deployContext(home, router);
    // Slow to start: the emperor's own start says nothing of when the app answers.
    const slow = writeApp(home, "slow", { "server.py": `import time\ntime.sleep(1.5)\n${SERVER_PY}` });
    const broken = writeApp(home, "broken");
    const deployer = createUwsgiDeployer({ startTimeoutSeconds: 5 });
    try {
      const port = portOf(await deployer.deploy(makeArtifact("slow", slow), ctx));
      await deployer.deploy(makeArtifact("broken", broken), ctx);
      await deployer.stopService!(ctx);
      writeFileSync(join(broken, "server.py"), "raise SystemExit(3)\n");
      const started = await deployer.startService!(ctx);
      expect((await getReport(port)).env.PORT).toBe(String(port));
      expect(started.detail).toMatch(/not up yet: broken$/);
      expect(ctx.logger.entries).toContainEqual({ level: "warn", text: expect.stringContaining("broken does not accept connections yet after 5 s") });
    } finally {
      await deployer.destroy("broken", ctx).catch(() => undefined);
      await router.stop(ctx);
    }
  });
});

describe("the emperor is woken after every change", () => {
  const home = tempHome();
  afterAll(async () => {
    await stopEmperor(home);
    expect(processesUnder(home)).toEqual([]);
  });

  it("picks a new vassal up at once even when its folder scan is a minute apart", async () => {
    const { router } = await nginxRouter();
    const ctx = deployContext(home, router);
    const deployer = createUwsgiDeployer({ emperorFrequency: 60 });
    try {
      await deployer.deploy(makeArtifact("first", writeApp(home, "first")), ctx);
      const started = performance.now();
      const status = await deployer.deploy(makeArtifact("second", writeApp(home, "second")), ctx);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect((await getReport(portOf(status))).env.PORT).toBe(String(portOf(status)));
    } finally {
      await router.stop(ctx);
    }
  });
});

describe("when uWSGI cannot run", () => {
  it("raises UWSGI_NOT_INSTALLED with the Debian package to install", async () => {
    const home = tempHome();
    const dir = writeApp(home, "app");
    for (const uwsgi of ["/nonexistent/uwsgi", "hop3-no-such-uwsgi"]) {
      const error = await caught(() => createUwsgiDeployer({ uwsgi }).deploy(makeArtifact("app", dir), deployContext(home, unusedRouter)));
      expect(error.code).toBe("UWSGI_NOT_INSTALLED");
      expect(error.message).toContain(uwsgi);
      expect(error.hint).toContain("apt-get install uwsgi-core");
    }
  });

  it("raises UWSGI_EMPEROR_START_FAILED with what uWSGI printed when it exits at once", async () => {
    const home = tempHome();
    const fake = join(home, "fake-uwsgi");
    writeFileSync(fake, "#!/bin/sh\necho 'fake-uwsgi: cannot bind the stats socket' >&2\nexit 1\n");
    chmodSync(fake, 0o755);
    const error = await caught(() => ensureEmperor(home, { ...settings, uwsgi: fake }, context));
    expect(error.code).toBe("UWSGI_EMPEROR_START_FAILED");
    expect(error.message).toContain("exited with code 1");
    expect(error.message).toContain("fake-uwsgi: cannot bind the stats socket");
    expect(emperorStatus(home)).toEqual({ running: false });
  });
});

afterAll(removeTempHomes);
