import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Router } from "@hop3/core";
import { createUwsgiDeployer, stopEmperor } from "@hop3/deployer-uwsgi";
import { PYTHON, SERVER_PY, caught, deployContext, getReport, httpGet, makeArtifact, nginxRouter, pgrep, pidOf, portOf, processesUnder, removeTempHomes, reportDir, tempHome, writeApp } from "./helpers.js";

const CRASH = `${PYTHON} -c "import sys; print('boom: DATABASE_URL is not set', flush=True); sys.exit(3)"`;

// What a deploy does when the app does not start, and what it checks before it touches anything.
describe("uWSGI deployer: failed starts and checks", () => {
  const home = tempHome();
  const deployer = createUwsgiDeployer({ startTimeoutSeconds: 20 });
  let router: Router;
  let httpPort: number;
  const context = (overrides: Parameters<typeof deployContext>[2] = {}) => deployContext(home, router, overrides);
  const vassals = (app: string) => readdirSync(join(home, "uwsgi", "vassals")).filter((file) => file.startsWith(`${app}_`));

  beforeAll(async () => {
    ({ router, httpPort } = await nginxRouter());
  });

  afterAll(async () => {
    await stopEmperor(home);
    await router.stop(context());
    expect(processesUnder(home)).toEqual([]);
    expect(pgrep(home)).toEqual([]);
  });

  it("a web worker that keeps exiting fails the first deploy with its own output, and is stopped", async () => {
    const dir = writeApp(home, "crashing");
    const started = Date.now();
    const error = await caught(() => deployer.deploy(makeArtifact("crashing", dir, { workers: { web: CRASH } }), context()));
    expect(error.code).toBe("UWSGI_WORKER_CRASHED");
    expect(error.message).toContain("Worker web.1 of crashing exited 3 times while starting");
    expect(error.message).toContain("boom: DATABASE_URL is not set");
    expect(error.message).toContain("Its workers were stopped; the logs are kept.");
    expect(error.hint).toMatch(/log lines/);
    expect(Date.now() - started).toBeLessThan(15_000); // well before the 20 s start timeout
    expect(vassals("crashing")).toEqual([]);
    expect(existsSync(join(home, "apps", "crashing", "logs", "web.1.log"))).toBe(true);
    expect((await deployer.status("crashing", context())).state).toBe("stopped");
  });

  it("a web worker that never listens fails with UWSGI_WORKER_START_TIMEOUT naming its port", async () => {
    const dir = writeApp(home, "deaf");
    const quick = createUwsgiDeployer({ startTimeoutSeconds: 2 });
    const started = Date.now();
    const error = await caught(() =>
      quick.deploy(makeArtifact("deaf", dir, { workers: { web: `${PYTHON} ${dir}/worker.py` }, env: { REPORT_FILE: join(reportDir(home), "deaf.json") } }), context()),
    );
    expect(error.code).toBe("UWSGI_WORKER_START_TIMEOUT");
    expect(error.message).toMatch(/Worker web\.1 of deaf was not accepting connections on 127\.0\.0\.1:\d+ after 2 s/);
    expect(error.details.port).toEqual(expect.any(Number));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(vassals("deaf")).toEqual([]);
  });

  it("a redeploy that does not start never touches the running release: same processes, port and route", async () => {
    const dir = writeApp(home, "resilient");
    const v1 = await deployer.deploy(makeArtifact("resilient", dir, { env: { APP_LABEL: "v1" } }), context());
    const port = portOf(v1);
    const error = await caught(() => deployer.deploy(makeArtifact("resilient", dir, { workers: { web: CRASH } }, "build-2"), context()));
    expect(error.code).toBe("UWSGI_WORKER_CRASHED");
    expect(error.message).toContain("The running release (build build-1) was left serving; the new one was stopped.");
    expect(pidOf(await deployer.status("resilient", context()), "web")).toBe(pidOf(v1, "web"));
    const status = await deployer.status("resilient", context());
    expect(status.state).toBe("running");
    expect(portOf(status)).toBe(port);
    expect((await getReport(port)).name).toBe("v1");
    expect((await getReport(httpPort, "/", "resilient.localhost")).name).toBe("v1");
  });

  it("runs before-run commands once, as the app's user, in the working directory with the app's environment, before the workers", async () => {
    const dir = writeApp(home, "migrating");
    const artifact = makeArtifact("migrating", dir, {
      env: { APP_LABEL: "v1", GREETING: "it's migrated" },
      beforeRun: ['printf "%s|%s|%s|%s|%s" "$GREETING" "$PWD" "${PORT:-no port}" "$(id -un)" "$(umask)" > "$HOME/ran.txt"', 'touch "$TMPDIR/second.txt"'],
    });
    const status = await deployer.deploy(artifact, context());
    const data = join(home, "apps", "migrating", "data");
    const user = statSync(data).uid;
    expect(user).not.toBe(0);
    expect(readFileSync(join(data, "ran.txt"), "utf8")).toBe(`it's migrated|${dir}|no port|${execFileSync("id", ["-un", String(user)], { encoding: "utf8" }).trim()}|0027`);
    expect(statSync(join(data, "tmp", "second.txt")).uid).toBe(user);
    expect(status.state).toBe("running");
  });

  it("a failing before-run command stops the deploy and leaves the running release alone", async () => {
    const dir = join(home, "src", "migrating");
    const before = await deployer.status("migrating", context());
    const broken = makeArtifact("migrating", dir, { env: { APP_LABEL: "v2" }, beforeRun: ["echo migrating the schema; echo relation exists >&2; exit 3"] }, "build-2");
    const error = await caught(() => deployer.deploy(broken, context()));
    expect(error.code).toBe("UWSGI_BEFORE_RUN_FAILED");
    expect(error.message).toContain("exited with code 3");
    expect(error.message).toContain("relation exists");
    const after = await deployer.status("migrating", context());
    expect(pidOf(after, "web")).toBe(pidOf(before, "web"));
    expect((await getReport(portOf(after))).name).toBe("v1");
  });

  it("checks the artifact before touching anything: working directory, native workers' values", async () => {
    const dir = writeApp(home, "checked");
    const missing = await caught(() => deployer.deploy(makeArtifact("checked", dir, { workingDir: join(dir, "gone") }), context()));
    expect(missing.code).toBe("UWSGI_WORKING_DIR_MISSING");
    const jwsgi = await caught(() => deployer.deploy(makeArtifact("checked", dir, { workers: { jwsgi: "java -jar app.war" } }), context()));
    expect(jwsgi.code).toBe("UWSGI_JWSGI_CLASS_INVALID");
    const rwsgi = await caught(() => deployer.deploy(makeArtifact("checked", dir, { workers: { rwsgi: "../other/config.ru" } }), context()));
    expect(rwsgi.code).toBe("UWSGI_RACK_FILE_INVALID");
    const wsgi = await caught(() => deployer.deploy(makeArtifact("checked", dir, { workers: { wsgi: "app:app\nplugin = cgi" } }), context()));
    expect(wsgi.code).toBe("UWSGI_WSGI_MODULE_INVALID");
    const invalid = await caught(() => deployer.deploy({ ...makeArtifact("checked", dir), appName: "Not_Valid" }, context()));
    expect(invalid.code).toBe("BUILD_ARTIFACT_INVALID");
    expect(vassals("checked")).toEqual([]);
    expect(existsSync(join(home, "apps", "checked"))).toBe(false);
  });

  it("serves a static worker's directory through the router, falling back to the web worker", async () => {
    const dir = writeApp(home, "mixed", { "server.py": SERVER_PY, "public/hello.txt": "static hello\n" });
    const status = await deployer.deploy(makeArtifact("mixed", dir, { workers: { web: `${PYTHON} ${dir}/server.py`, static: "public" }, env: { APP_LABEL: "mixed" } }), context());
    expect(status.state).toBe("running");
    expect((await httpGet(httpPort, "mixed.localhost", "/hello.txt")).body).toBe("static hello\n");
    expect((await getReport(httpPort, "/dynamic", "mixed.localhost")).name).toBe("mixed");

    const only = writeApp(home, "static-only", { "public/index.html": "<h1>only static</h1>\n" });
    const staticStatus = await deployer.deploy(makeArtifact("static-only", only, { workers: { static: join(only, "public") } }), context());
    expect(staticStatus).toMatchObject({ state: "running", workers: [] });
    expect(vassals("static-only")).toEqual([]);
    expect((await httpGet(httpPort, "static-only.localhost", "/")).body).toBe("<h1>only static</h1>\n");
  });
});

afterAll(removeTempHomes);
