/**
 * The original Hop3's `wsgi` apps deploy unchanged: the real `hop3 deploy` of each, read where it
 * lies in the compat corpus (`../shared/compat/hop3-upstream-apps/`, next to the repository), built
 * by the Local builder (Flask from the machine's pip mirror), run by uWSGI's python3 plugin, then
 * what the app's check.py checks: GET / through nginx holds the text.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesUnder } from "@hop3/test-support";
import { freePort, hop3, httpGet, UPSTREAM_TEST_APPS } from "./run-hop3.js";

const corpus = UPSTREAM_TEST_APPS;
const home = mkdtempSync(join(tmpdir(), "hop3-wsgi-"));
let env: Record<string, string> = {};
let port = 0;

beforeAll(async () => {
  port = await freePort();
  // The machine's pip mirror (root's pip.conf here), given to Hop3 as an operator would: no index is reachable.
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port), PIP_INDEX_URL: "file:///opt/pypi/simple", PIP_EXTRA_INDEX_URL: "file:///opt/pypi-more/simple", PIP_FIND_LINKS: "/opt/wheels" };
});

afterAll(async () => {
  for (const app of ["flask-wsgi", "flask-alt"]) await hop3(["destroy", app, "--yes"], env);
  await hop3(["server", "stop"], env);
  expect(processesUnder(home)).toEqual([]);
  rmSync(home, { recursive: true, force: true });
}, 120_000);

describe.sequential("upstream wsgi apps", () => {
  it("finds the corpus next to the repository", () => {
    expect(existsSync(corpus), `${corpus} is missing`).toBe(true);
  });

  // The text each check.py asserts is in the page (120's app is 010's, without a check.py).
  it.each([
    ["010-flask-pip-wsgi", "flask-wsgi", "Hello World!"],
    ["120-flask-pip-alt", "flask-alt", "Hello World!"],
  ])("deploys %s unchanged and serves what its check.py checks", async (dir, app, text) => {
    const source = join(corpus, dir);
    const result = await hop3(["deploy", source, "--app", app, "--json"], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ app, builder: "local", status: "running" });
    const page = await httpGet(port, `${app}.localhost`, "/");
    expect(page.status).toBe(200);
    expect(page.body).toContain(text);
  });

  it("scales a wsgi worker, each instance on its own port, run as the app's user", async () => {
    const scaled = await hop3(["scale", "flask-wsgi", "wsgi=2", "--json"], env);
    expect(scaled.code, scaled.stderr).toBe(0);
    type Status = { workers: Array<{ worker: string; instance: number; port?: number; pid?: number; state: string }> };
    const status = (await hop3(["status", "flask-wsgi", "--json"], env)).json<Status>();
    const wsgi = status.workers.filter((worker) => worker.worker === "wsgi");
    expect(wsgi.map((worker) => [worker.instance, worker.state])).toEqual([
      [1, "running"],
      [2, "running"],
    ]);
    expect(new Set(wsgi.map((worker) => worker.port)).size).toBe(2);
    for (const worker of wsgi) {
      // The worker and every uWSGI process under it are the app's, never root's.
      const owners = execFileSync("ps", ["-o", "user=", "--ppid", String(worker.pid), "-p", String(worker.pid)], { encoding: "utf8" }).split("\n").filter((line) => line.trim() !== "");
      expect(owners.length).toBeGreaterThan(0);
      expect(owners.every((owner) => owner.trim() !== "root")).toBe(true);
    }
    expect((await httpGet(port, "flask-wsgi.localhost", "/")).body).toContain("Hello World!");
  });
  it("switches a redeploy of the scaled wsgi app with no failed request", async () => {
    let stop = false;
    const failures: string[] = [];
    let requests = 0;
    const polling = (async () => {
      while (!stop) {
        const page = await httpGet(port, "flask-wsgi.localhost", "/").catch((error: Error) => ({ status: 0, body: error.message }));
        requests++;
        if (page.status !== 200 || !page.body.includes("Hello World!")) failures.push(`${page.status} ${page.body.slice(0, 80)}`);
      }
    })();
    const redeploy = await hop3(["deploy", join(corpus, "010-flask-pip-wsgi"), "--app", "flask-wsgi", "--env", "RELEASE=2", "--json"], env);
    stop = true;
    await polling;
    expect(redeploy.code, redeploy.stderr).toBe(0);
    expect(requests).toBeGreaterThan(10);
    expect(failures).toEqual([]);
  });

});
