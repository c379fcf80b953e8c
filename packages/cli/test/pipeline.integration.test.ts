import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nixPlugin } from "@hop3/builder-nix";
import { createDistribution, findAppUser, Hop3Error, type Distribution, type StepEvent } from "@hop3/core";
import { staticDeployerPlugin } from "@hop3/deployer-static";
import { uwsgiDeployerPlugin } from "@hop3/deployer-uwsgi";
import { nginxRouterPlugin } from "@hop3/router-nginx";
import { caught, freePort, httpGet, processesUnder, waitFor } from "@hop3/test-support";

// The life of an app through core's API alone (no CLI), against the real nix-build, uWSGI emperor
// and nginx: what any distribution gets from `createDistribution`. The fixture answers 503 while it
// warms up and "release <release.txt>" after; a release.txt of "broken" never warms up.
const fixture = resolve(import.meta.dirname, "../../../test-fixtures/apps/nix-release");
const home = mkdtempSync(join(tmpdir(), "hop3-pipeline-"));
const source = join(mkdtempSync(join(tmpdir(), "hop3-pipeline-app-")), "pipe");
let port = 0;
let hop3: Distribution;
const events: StepEvent[] = [];
const onStep = (event: StepEvent) => void events.push(event);

/** The fixture saying `release <id>`, with a short start timeout so a broken release fails fast. */
function release(id: string): string {
  writeFileSync(join(source, "release.txt"), `${id}\n`);
  return source;
}

/** What the app answers once warm: start, restart and scale wait until it listens, not until it is warm. */
const page = (host = "pipe.localhost") => waitFor(async () => {
  const answer = await httpGet(port, host).catch(() => undefined);
  return answer?.status === 200 && answer.body;
}, 10_000, `${host} to answer 200`);
const started = () => events.flatMap((event) => (event.type === "step-started" ? [event.step] : []));

beforeAll(async () => {
  port = await freePort();
  const env = { ...process.env, HOP3_HOME: home, HOP3_HTTP_PORT: String(port), NIX_CONFIG: "substituters =\n", HOP3_KEEP_RELEASES: "3" };
  hop3 = createDistribution({ plugins: [nixPlugin(), uwsgiDeployerPlugin(), staticDeployerPlugin(), nginxRouterPlugin({}, env)], env });
  cpSync(fixture, source, { recursive: true });
  writeFileSync(join(source, "hop3.toml"), "[run]\nstart-timeout = 4\n");
});

afterAll(async () => {
  if (existsSync(join(home, "apps", "pipe"))) await hop3.destroy("pipe");
  const context = hop3.operationContext();
  for (const deployer of hop3.registry.deployers()) await deployer.stopService?.(context);
  await hop3.router().stop(context);
  expect(processesUnder(home)).toEqual([]);
  rmSync(home, { recursive: true, force: true });
});

describe.sequential("the pipeline through core's API", () => {
  let v1 = "";
  let v2 = "";

  it("deploys: plan, build, deploy, health, keep releases, as typed step events; the app answers", async () => {
    const outcome = await hop3.deploy({ dir: release("v1") }, { onStep });
    v1 = outcome.release;
    expect(outcome).toMatchObject({ app: "pipe", builder: "nix", deployer: "uwsgi", status: "running", url: `http://pipe.localhost:${port}/`, pruned: [] });
    expect(outcome.health.status).toBe(200);
    expect(started()).toEqual(["plan", "build with nix", "deploy with uwsgi", "health", "keep releases"]);
    expect(events.filter((event) => event.type === "step-done")).toHaveLength(5);
    expect(await page()).toBe("release v1\n");
    expect(hop3.apps().map((app) => ("corrupt" in app ? app.name : [app.name, app.liveRelease, app.url]))).toEqual([["pipe", v1, outcome.url]]);
  });

  it("keeps the running release serving when a new one fails its health gate, with the new one's last log lines", async () => {
    v2 = (await hop3.deploy({ dir: release("v2") })).release;
    expect(await page()).toBe("release v2\n");
    const error = await caught(() => hop3.deploy({ dir: release("broken") }));
    expect(Hop3Error.is(error)).toBe(true);
    expect(error.code).toBe("HEALTH_CHECK_FAILED");
    expect(error.message).toContain("was left serving; the new one was stopped.");
    expect(error.details.lastLines).toEqual(expect.arrayContaining([expect.stringContaining("nix-release broken listening on")]));
    expect(await page()).toBe("release v2\n");
    expect(hop3.releases("pipe").map((r) => [r.id === v2 || r.id === v1 ? r.id : "new", r.status])).toEqual([
      ["new", "failed"],
      [v2, "live"],
      [v1, "superseded"],
    ]);
    const status = await hop3.status("pipe");
    expect(status).toMatchObject({ live: true, release: { id: v2 }, deployment: { state: "running" } });
  });

  it("rolls back to the release live before, through the same health check", async () => {
    const outcome = await hop3.rollback("pipe", { onStep });
    expect(outcome).toMatchObject({ app: "pipe", release: v1, from: v2 });
    expect(await page()).toBe("release v1\n");
    expect((await hop3.status("pipe")).release?.id).toBe(v1);
    expect((await caught(() => hop3.rollback("pipe", { release: "20000101T000000Z-none" }))).code).toBe("RELEASE_NOT_FOUND");
  });

  it("restarts (new processes), scales, stops and starts the live release", async () => {
    const before = (await hop3.status("pipe")).deployment.workers[0]!.pid;
    const restarted = await hop3.restart("pipe");
    expect(restarted.state).toBe("running");
    expect(restarted.workers[0]!.pid).not.toBe(before);
    expect(await page()).toBe("release v1\n");

    const scaled = await hop3.scale("pipe", { web: 2 });
    expect(scaled.workers.map((w) => [w.worker, w.instance, w.state])).toEqual([
      ["web", 1, "running"],
      ["web", 2, "running"],
    ]);
    expect((await hop3.status("pipe")).deployment.workers).toHaveLength(2);

    expect((await hop3.stop("pipe")).state).toBe("stopped");
    expect((await httpGet(port, "pipe.localhost")).status).toBe(404);
    expect((await hop3.start("pipe")).state).toBe("running");
    expect(await page()).toBe("release v1\n");
  });

  it("routes hop3.toml [domains] once the release is live, keeps names added by hand unless the policy overrides, and refuses another app's name", async () => {
    const withDomains = (domains: string) => writeFileSync(join(source, "hop3.toml"), `[run]\nstart-timeout = 4\n\n${domains}`);
    withDomains('[domains]\nlist = ["shop.example.org"]\n');
    await hop3.deploy({ dir: release("v1") });
    expect(hop3.domains("pipe")).toEqual(["shop.example.org"]);
    expect(await page("shop.example.org")).toBe("release v1\n");

    await hop3.addDomains("pipe", ["by-hand.example.org"]);
    withDomains('[domains]\nlist = ["new.example.org"]\n');
    await hop3.deploy({ dir: release("v1") });
    expect(hop3.domains("pipe")).toEqual(["by-hand.example.org", "new.example.org"]);
    expect(await page("new.example.org")).toBe("release v1\n");
    expect((await httpGet(port, "shop.example.org")).status).toBe(404);

    // Another app's hop3.toml cannot take the name: refused before its build, nothing of it left.
    const thief = join(mkdtempSync(join(tmpdir(), "hop3-pipeline-thief-")), "thief");
    cpSync(source, thief, { recursive: true });
    const refused = await caught(() => hop3.deploy({ dir: thief }));
    expect(refused).toMatchObject({ code: "DOMAIN_TAKEN", details: { app: "thief", host: "new.example.org", otherApp: "pipe" } });
    expect(existsSync(join(home, "apps", "thief"))).toBe(false);
    expect(await page("new.example.org")).toBe("release v1\n");
    rmSync(dirname(thief), { recursive: true, force: true });

    withDomains('[domains]\nlist = ["new.example.org"]\n_policy = "override"\n');
    await hop3.deploy({ dir: release("v1") });
    expect(hop3.domains("pipe")).toEqual(["new.example.org"]);
    withDomains("");
    await hop3.deploy({ dir: release("v1") });
    expect(hop3.domains("pipe")).toEqual([]);
    expect((await httpGet(port, "new.example.org")).status).toBe(404);
  }, 90_000);

  it("sets values and domains for the app, then destroys it: processes, route, state and user", async () => {
    expect(hop3.setEnv("pipe", { GREETING: "hi" })).toEqual({ GREETING: "hi" });
    expect(hop3.unsetEnv("pipe", ["GREETING"])).toEqual({});
    expect(await hop3.addDomains("pipe", ["pipe.example.org"])).toEqual({ app: "pipe", domains: ["pipe.example.org"], routed: true });
    expect(await page("pipe.example.org")).toBe("release v1\n");

    await hop3.destroy("pipe", { onStep });
    expect(hop3.apps()).toEqual([]);
    expect(existsSync(join(home, "apps", "pipe"))).toBe(false);
    expect(findAppUser({ home, env: hop3.env }, "pipe")).toBeUndefined();
    expect((await httpGet(port, "pipe.localhost")).status).toBe(404);
    expect((await caught(() => hop3.status("pipe"))).code).toBe("APP_NOT_FOUND");
  });
});
