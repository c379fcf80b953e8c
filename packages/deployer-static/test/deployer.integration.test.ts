import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand, Registry } from "@hop3/core";
import { createNginxRouter } from "@hop3/router-nginx";
import { createStaticDeployer, staticDeployerPlugin, stateFile } from "../src/index.js";
import { caught, deployContext, FIXTURES, freePort, httpGet, listTree, makeDir, removeTempDirs, staticArtifact, tempDir } from "./helpers.js";

// The real router and the real nginx: a static deploy is checked the way a browser sees it.
describe("static deployer", { timeout: 30_000 }, () => {
  const home = tempDir("hop3-static-home-");
  const deployer = createStaticDeployer();
  let port: number;
  let router: ReturnType<typeof createNginxRouter>;
  let context: ReturnType<typeof deployContext>;
  /** The "site" app declares a domain besides site.localhost. */
  let site: ReturnType<typeof deployContext>;

  beforeAll(async () => {
    port = await freePort();
    router = createNginxRouter({ httpPort: port }, {});
    context = deployContext(home, router);
    site = deployContext(home, router, ["site.example.org"]);
  });

  afterAll(async () => {
    await router.stop(context);
    expect((await router.status(context)).running).toBe(false);
    removeTempDirs();
  });

  it("deploys a static artifact: no process, the directory routed on <app>.localhost and the app's domains", async () => {
    const app = makeDir({ "public/index.html": "<p>site v1</p>\n", "public/about.html": "about\n" });
    const artifact = staticArtifact("site", app);
    const status = await deployer.deploy(artifact, site);
    expect(status).toEqual({
      app: "site",
      state: "running",
      url: `http://site.localhost:${port}/`,
      workers: [{ worker: "static", instance: 1, state: "running", detail: expect.stringContaining(`served by nginx from ${join(app, "public")}`) }],
    });
    expect(status.workers[0]).not.toHaveProperty("pid");
    expect(await httpGet(port, "site.localhost")).toMatchObject({ status: 200, body: "<p>site v1</p>\n" });
    expect((await httpGet(port, "site.example.org", "/about.html")).body).toBe("about\n");
    expect(JSON.parse(readFileSync(stateFile(home, "site"), "utf8"))).toEqual(artifact);
  });

  it("stops (the route goes, the record stays), starts and restarts from the recorded release", async () => {
    expect(await deployer.stop("site", site)).toMatchObject({ state: "stopped", workers: [{ state: "stopped" }] });
    expect((await httpGet(port, "site.localhost")).status).toBe(404);
    expect(existsSync(stateFile(home, "site"))).toBe(true);
    expect(await deployer.start("site", site)).toMatchObject({ state: "running" });
    expect((await httpGet(port, "site.localhost")).body).toBe("<p>site v1</p>\n");
    expect(await deployer.restart("site", site)).toMatchObject({ state: "running" });
    expect((await httpGet(port, "site.localhost")).body).toBe("<p>site v1</p>\n");
  });

  it("scales to nothing: it says so and changes nothing", async () => {
    const status = await deployer.scale("site", { ...site, scale: { static: 3 } });
    expect(status.state).toBe("running");
    expect(status.workers).toHaveLength(1);
    expect(status.workers[0]!.detail).toContain("nothing to scale");
    expect(site.logger.entries.some((e) => e.text.includes("3 instances asked, nothing changed"))).toBe(true);
  });

  it("keeps the previous release serving when the new one's directory is missing (STATIC_DIR_MISSING)", async () => {
    const before = readFileSync(stateFile(home, "site"), "utf8");
    const error = await caught(() => deployer.deploy(staticArtifact("site", tempDir(), "no-such-dir"), site));
    expect(error.code).toBe("STATIC_DIR_MISSING");
    expect(error.message).toContain("no-such-dir");
    expect(readFileSync(stateFile(home, "site"), "utf8")).toBe(before);
    expect((await httpGet(port, "site.localhost")).body).toBe("<p>site v1</p>\n");
  });

  it("serves the new files after a redeploy", async () => {
    const app = makeDir({ "dist/index.html": "<p>site v2</p>\n" });
    await deployer.deploy(staticArtifact("site", app, "dist"), site);
    expect((await httpGet(port, "site.localhost")).body).toBe("<p>site v2</p>\n");
  });

  it("refuses an artifact with process workers, and start or scale of an app never deployed", async () => {
    const app = makeDir({ "public/index.html": "x\n" });
    const withWeb = staticArtifact("mixed", app);
    const refused = await caught(() => deployer.deploy({ ...withWeb, runtime: { ...withWeb.runtime, workers: { static: "public", web: "python3 app.py" } } }, context));
    expect(refused.code).toBe("STATIC_PROCESS_WORKERS");
    expect((await caught(() => deployer.start("never", context))).code).toBe("STATIC_NOT_DEPLOYED");
    expect((await caught(() => deployer.scale("never", context))).code).toBe("STATIC_NOT_DEPLOYED");
    expect(await deployer.status("never", context)).toEqual({ app: "never", state: "absent", workers: [] });
    expect(existsSync(join(home, "apps", "mixed"))).toBe(false);
  });

  it("reports a damaged record with STATIC_STATE_INVALID, and a redeploy repairs it", async () => {
    const app = makeDir({ "public/index.html": "repaired\n" });
    await deployer.deploy(staticArtifact("damaged", app), context);
    writeFileSync(stateFile(home, "damaged"), "{ not json");
    const error = await caught(() => deployer.start("damaged", context));
    expect(error.code).toBe("STATIC_STATE_INVALID");
    expect(error.message).toContain("not JSON");
    await deployer.deploy(staticArtifact("damaged", app), context);
    expect((await httpGet(port, "damaged.localhost")).body).toBe("repaired\n");
    await deployer.destroy("damaged", context);
  });

  it("serves the real Nix fixture nix-static from the Nix store", async () => {
    const fixture = join(FIXTURES, "apps", "nix-static");
    const built = await runCommand("nix-build", [join(fixture, "hop3.nix"), "-A", "package", "--no-out-link"], { cwd: fixture, timeoutMs: 60_000 });
    const out = built.stdout.trim().split("\n").at(-1)!;
    const runtime = JSON.parse(readFileSync(join(out, "hop3", "runtime.json"), "utf8"));
    const artifact = { ...staticArtifact("nix-static", out, runtime.workers.static), builder: "nix", location: out };
    const expected = JSON.parse(readFileSync(join(fixture, "expect.json"), "utf8"));
    expect((await deployer.deploy(artifact, context)).state).toBe("running");
    const answer = await httpGet(port, "nix-static.localhost", expected.http.path);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(expected.http.contains);
    await deployer.destroy("nix-static", context);
  });

  it("destroys an app: route and record gone, nothing left under its state directory", async () => {
    await deployer.destroy("site", site);
    expect((await httpGet(port, "site.localhost")).status).toBe(404);
    expect((await httpGet(port, "site.example.org")).status).toBe(404);
    expect(existsSync(join(home, "nginx", "sites", "site.conf"))).toBe(false);
    expect(listTree(join(home, "apps", "site"))).toEqual([]);
    expect(existsSync(join(home, "apps", "site"))).toBe(false);
    expect(await deployer.status("site", context)).toMatchObject({ state: "absent" });
    expect(listTree(join(home, "nginx", "sites"))).toEqual([]);
  });

  it("leaves another deployer's files in the app's directory when it destroys its own", async () => {
    const app = makeDir({ "public/index.html": "shared\n" });
    await deployer.deploy(staticArtifact("shared", app), context);
    const other = join(home, "apps", "shared", "deploy", "state.json");
    writeFileSync(other, "{}\n");
    await deployer.destroy("shared", context);
    expect(listTree(join(home, "apps", "shared"))).toEqual(["deploy", "deploy/state.json"]);
    rmSync(join(home, "apps", "shared"), { recursive: true });
  });

  it("is registered by its plugin for static artifacts", () => {
    const registry = new Registry();
    const plugin = staticDeployerPlugin();
    registry.withPlugin(plugin.name, () => plugin.register(registry));
    expect(plugin.name).toBe("@hop3/deployer-static");
    expect(registry.deployers().map((d) => [d.name, d.kinds])).toEqual([["static", ["static"]]]);
  });
});
