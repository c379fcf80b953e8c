/**
 * `rwsgi` and `jwsgi` workers, as the original Hop3 runs them: the real `hop3 deploy` of a Rack app
 * (uWSGI's rack plugin loads config.ru) and of a JWSGI app (a class javac compiles in the build,
 * loaded by uWSGI's jvm and jwsgi plugins), each answering a GET through nginx, run as the app's
 * user, scaled and redeployed like a web worker.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesUnder } from "@hop3/test-support";
import { freePort, hop3, httpGet } from "./run-hop3.js";

const fixtures = resolve(import.meta.dirname, "../../../test-fixtures/native-apps");
const home = mkdtempSync(join(tmpdir(), "hop3-native-"));
const apps = ["rack-hello", "jwsgi-hello"];
let env: Record<string, string> = {};
let port = 0;

type Status = { workers: Array<{ worker: string; instance: number; port?: number; pid?: number; state: string }> };

beforeAll(async () => {
  port = await freePort();
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port) };
});

afterAll(async () => {
  for (const app of apps) await hop3(["destroy", app, "--yes"], env);
  await hop3(["server", "stop"], env);
  expect(processesUnder(home)).toEqual([]);
  rmSync(home, { recursive: true, force: true });
}, 120_000);

/** The users of a worker's process and of every uWSGI process under it. */
const ownersOf = (pid: number) =>
  execFileSync("ps", ["-o", "user=", "--ppid", String(pid), "-p", String(pid)], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");

describe.sequential("rwsgi and jwsgi workers", () => {
  it.each([
    ["rack-hello", "rwsgi", "hello from rack as "],
    ["jwsgi-hello", "jwsgi", "hello from jwsgi as "],
  ])("deploys %s: its %s worker answers through nginx, as the app's user", async (app, worker, text) => {
    const plan = await hop3(["plan", join(fixtures, app), "--json"], env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.json()).toMatchObject({ checks: { deployer: "uwsgi", workersChecked: true } });

    const result = await hop3(["deploy", join(fixtures, app), "--json"], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ app, builder: "local", status: "running" });
    const page = await httpGet(port, `${app}.localhost`, "/some/path");
    expect(page.status).toBe(200);
    expect(page.body).toContain(text);
    expect(page.body).toContain(", /some/path");
    expect(page.body).not.toContain(" as root,");

    const status = (await hop3(["status", app, "--json"], env)).json<Status>();
    const [instance] = status.workers.filter((w) => w.worker === worker);
    expect(instance).toMatchObject({ instance: 1, state: "running" });
    const owners = ownersOf(instance!.pid!);
    expect(owners.length).toBeGreaterThan(0);
    expect(owners.every((owner) => owner !== "root")).toBe(true);
  });

  it("scales a jwsgi worker to two instances, each on its own port, and switches a redeploy of the Rack app with no failed request", async () => {
    const scaled = await hop3(["scale", "jwsgi-hello", "jwsgi=2", "--json"], env);
    expect(scaled.code, scaled.stderr).toBe(0);
    const status = (await hop3(["status", "jwsgi-hello", "--json"], env)).json<Status>();
    const instances = status.workers.filter((w) => w.worker === "jwsgi");
    expect(instances.map((w) => [w.instance, w.state])).toEqual([
      [1, "running"],
      [2, "running"],
    ]);
    expect(new Set(instances.map((w) => w.port)).size).toBe(2);
    expect((await httpGet(port, "jwsgi-hello.localhost", "/")).body).toContain("hello from jwsgi");

    let stop = false;
    const failures: string[] = [];
    let requests = 0;
    const polling = (async () => {
      while (!stop) {
        const page = await httpGet(port, "rack-hello.localhost", "/").catch((error: Error) => ({ status: 0, body: error.message }));
        requests++;
        if (page.status !== 200 || !page.body.includes("hello from rack")) failures.push(`${page.status} ${page.body.slice(0, 80)}`);
      }
    })();
    const redeploy = await hop3(["deploy", join(fixtures, "rack-hello"), "--env", "RELEASE=2", "--json"], env);
    stop = true;
    await polling;
    expect(redeploy.code, redeploy.stderr).toBe(0);
    expect(requests).toBeGreaterThan(10);
    expect(failures).toEqual([]);
  });
});
