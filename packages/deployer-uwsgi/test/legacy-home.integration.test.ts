import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAppUser, processUid, type BuildArtifact, type Router } from "@hop3/core";
import { shellQuote } from "@hop3/core";
import { createUwsgiDeployer, ensureEmperor, pokeEmperor, emperorLayout, stopEmperor } from "@hop3/deployer-uwsgi";
import { deployContext, freePort, getReport, makeArtifact, nginxRouter, pidOf, portOf, processesUnder, removeTempHomes, tempHome, waitFor, writeApp } from "./helpers.js";

/** True while the process runs (a zombie waiting for PID 1 to reap it does not). */
function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/**
 * What the previous version of this deployer left for an app, as it wrote it: a vassal without a
 * user (its master and worker run as root), a root launcher and pid file in `deploy/run/`, a socket
 * in the emperor's socket directory, a state without limits. No app user exists yet.
 */
function writeLegacyInstance(home: string, artifact: BuildArtifact, port: number): void {
  const app = artifact.appName;
  const appDir = join(home, "apps", app);
  const run = join(appDir, "deploy", "run");
  mkdirSync(run, { recursive: true });
  mkdirSync(join(appDir, "logs"), { recursive: true });
  mkdirSync(join(home, "uwsgi", "vassals"), { recursive: true });
  mkdirSync(join(home, "uwsgi", "sockets"), { recursive: true });
  const launcher = join(run, "web.1.sh");
  writeFileSync(
    launcher,
    [
      "#!/bin/sh",
      `# Written by @hop3/deployer-uwsgi for app ${app}, worker web, instance 1.`,
      "for hop3_name in $(env | sed -n 's/^\\(UWSGI_[A-Za-z0-9_]*\\)=.*/\\1/p'); do unset \"$hop3_name\"; done; unset hop3_name",
      ...Object.entries({ ...artifact.runtime.env, BIND_ADDRESS: "127.0.0.1", HOP3_INSTANCE: `${app}_web.1`, PORT: String(port) }).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
      `echo $$ > ${shellQuote(join(run, "web.1.pid"))}`,
      `cd ${shellQuote(artifact.runtime.workingDir)} || exit 1`,
      `exec /bin/sh -c ${shellQuote(artifact.runtime.workers.web!)}`,
      "",
    ].join("\n"),
  );
  chmodSync(launcher, 0o700);
  writeFileSync(
    join(home, "uwsgi", "vassals", `${app}_web.1.ini`),
    [
      `; Written by @hop3/deployer-uwsgi for app ${app}, worker web, instance 1.`,
      "[uwsgi]",
      "master = true",
      `socket = ${join(home, "uwsgi", "sockets", `${app}_web.1.sock`)}`,
      "vacuum = true",
      "cheap = true",
      `logto = ${join(appDir, "logs", "web.1.log")}`,
      "log-maxsize = 10485760",
      "reload-mercy = 10",
      `attach-daemon2 = cmd=exec /bin/sh ${launcher},stopsignal=15`,
      "",
    ].join("\n"),
  );
  writeFileSync(join(appDir, "deploy", "artifact.json"), JSON.stringify(artifact));
  writeFileSync(join(appDir, "deploy", "state.json"), JSON.stringify({ version: 1, scale: {}, ports: { "web.1": port }, stopped: false, routed: false, slot: "a", updatedAt: new Date().toISOString() }));
}

// A HOP3_HOME written before apps had users of their own: it keeps running, stops, and moves into
// the new layout at the next start, restart or deploy.
describe("uWSGI deployer: a home from before app users", () => {
  const home = tempHome();
  const deployer = createUwsgiDeployer({ startTimeoutSeconds: 20, stopTimeoutSeconds: 3 });
  const settings = { uwsgi: "uwsgi", frequency: 1, inheritEnv: ["PATH", "HOME", "LANG"] };
  let router: Router;
  const context = () => deployContext(home, router);
  const ports: Record<string, number> = {};
  const artifacts: Record<string, BuildArtifact> = {};
  const runsAsRoot = async (app: string) => (await getReport(ports[app]!)).pid;

  beforeAll(async () => {
    ({ router } = await nginxRouter());
    for (const app of ["old-start", "old-stop", "old-deploy"]) {
      artifacts[app] = makeArtifact(app, writeApp(home, app), { env: { APP_LABEL: app } });
      ports[app] = await freePort();
      writeLegacyInstance(home, artifacts[app]!, ports[app]!);
    }
    await ensureEmperor(home, settings, { env: process.env });
    await pokeEmperor(emperorLayout(home));
    for (const app of Object.keys(ports)) {
      const pid = await waitFor(() => runsAsRoot(app), 15_000, `${app} to serve as before`);
      expect(processUid(pid), app).toBe(0);
    }
  });

  afterAll(async () => {
    await stopEmperor(home);
    await router.stop(context());
    expect(processesUnder(home)).toEqual([]);
  });

  it("reports the old instances as running, from their old pid files", async () => {
    const status = await deployer.status("old-stop", context());
    expect(status.workers).toMatchObject([{ worker: "web", instance: 1, state: "running", port: ports["old-stop"] }]);
    expect(pidOf(status, "web")).toBe(Number(readFileSync(join(home, "apps", "old-stop", "deploy", "run", "web.1.pid"), "utf8")));
  });

  it("stops an old instance, and the next start runs it in the new layout, as its own user", async () => {
    const stopped = await deployer.stop("old-stop", context());
    expect(stopped.state).toBe("stopped");
    expect(processesUnder(home).filter((p) => p.includes("/src/old-stop/"))).toEqual([]);
    const started = await deployer.start("old-stop", context());
    expect(started.state).toBe("running");
    expect(portOf(started)).toBe(ports["old-stop"]);
    const report = await getReport(ports["old-stop"]!);
    expect(processUid(report.pid)).toBe(findAppUser({ home, env: process.env }, "old-stop")!.uid);
    expect(existsSync(join(home, "apps", "old-stop", "deploy", "run"))).toBe(false);
    expect(readdirSync(join(home, "apps", "old-stop", "run")).sort()).toEqual(["web.1.pid", "web.1.sh"]);
  });

  it("start of a running old instance moves it into its box (a new process, on the same port)", async () => {
    const before = await runsAsRoot("old-start");
    const started = await deployer.start("old-start", context());
    expect(started.state).toBe("running");
    const report = await getReport(ports["old-start"]!);
    expect(report.pid).not.toBe(before);
    expect(processUid(report.pid)).toBe(findAppUser({ home, env: process.env }, "old-start")!.uid);
    expect(readFileSync(join(home, "uwsgi", "vassals", "old-start_web.1.ini"), "utf8")).toContain("uid = ");
    expect(existsSync(join(home, "apps", "old-start", "deploy", "run"))).toBe(false);
    await waitFor(() => !alive(before), 5_000, "the old root process to be gone");
  });

  it("a deploy over a running old instance starts the new release beside it, in the new layout, and stops the old one", async () => {
    const before = await runsAsRoot("old-deploy");
    const status = await deployer.deploy({ ...artifacts["old-deploy"]!, buildId: "build-2" }, context());
    expect(status.state).toBe("running");
    const report = await getReport(portOf(status));
    expect(processUid(report.pid)).toBe(findAppUser({ home, env: process.env }, "old-deploy")!.uid);
    await waitFor(() => !alive(before), 5_000, "the old root process to be gone");
    expect(readdirSync(join(home, "uwsgi", "vassals")).filter((file) => file.startsWith("old-deploy_"))).toEqual(["old-deploy_web.1.b.ini"]);
    expect(existsSync(join(home, "apps", "old-deploy", "deploy", "run"))).toBe(false);
    expect(existsSync(join(home, "uwsgi", "sockets", "old-deploy_web.1.sock"))).toBe(false);
  });
});

afterAll(removeTempHomes);
