import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Hop3Error, removeAppUser, runCommand, Registry } from "@hop3/core";
import { createNginxRouter } from "@hop3/router-nginx";
import { createStaticDeployer, staticDeployerPlugin, stateFile } from "../src/index.js";
import { caught, deployContext, FIXTURES, freePort, httpGet, listTree, localRelease, makeDir, removeTempDirs, staticArtifact, tempDir } from "./helpers.js";

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

  /** Apps given a user of their own (Local releases), removed at the end. */
  const appUsers: string[] = [];
  const release = (app: string, files: Record<string, string>) => {
    appUsers.push(app);
    return localRelease(home, app, files);
  };
  const mode = (path: string) => {
    const stat = statSync(path);
    return { mode: (stat.mode & 0o7777).toString(8), uid: stat.uid };
  };

  afterAll(async () => {
    await router.stop(context);
    expect((await router.status(context)).running).toBe(false);
    for (const app of appUsers) removeAppUser({ home, env: process.env }, app);
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

  it("asks the health gate once routed, and puts the serving release's route back when it fails", async () => {
    const asked: number[] = [];
    const failing = async ({ upstreams }: { upstreams: readonly unknown[] }) => {
      asked.push(upstreams.length);
      // Asked after the switch: the router already sends users to the new release.
      expect((await httpGet(port, "site.localhost")).body).toBe("<p>broken v3</p>\n");
      throw new Hop3Error({ code: "HEALTH_CHECK_FAILED", message: "no", hint: "h" });
    };
    const broken = makeDir({ "dist/index.html": "<p>broken v3</p>\n" });
    const error = await caught(() => deployer.deploy(staticArtifact("site", broken, "dist"), { ...site, healthGate: failing }));
    expect(error.code).toBe("HEALTH_CHECK_FAILED");
    expect(asked).toEqual([0]);
    expect((await httpGet(port, "site.localhost")).body).toBe("<p>site v2</p>\n");
    expect(JSON.parse(readFileSync(stateFile(home, "site"), "utf8")).location).not.toBe(broken);
  });

  it("removes the route of a first release that fails the health gate, and records nothing", async () => {
    const app = makeDir({ "public/index.html": "first\n" });
    const error = await caught(() => deployer.deploy(staticArtifact("gated", app), { ...context, healthGate: () => Promise.reject(new Hop3Error({ code: "HEALTH_CHECK_FAILED", message: "no", hint: "h" })) }));
    expect(error.code).toBe("HEALTH_CHECK_FAILED");
    expect((await httpGet(port, "gated.localhost")).status).toBe(404);
    expect(await deployer.status("gated", context)).toEqual({ app: "gated", state: "absent", workers: [] });
    expect(await deployer.stop("gated", context)).toEqual({ app: "gated", state: "absent", workers: [] });
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
    // JSON, but not an artifact: checked against the artifact's schema, never taken on trust.
    writeFileSync(stateFile(home, "damaged"), JSON.stringify({ apiVersion: 1, kind: "static", appName: "damaged" }));
    const shapeless = await caught(() => deployer.start("damaged", context));
    expect(shapeless.code).toBe("STATIC_STATE_INVALID");
    expect(shapeless.message).toMatch(/^The record of app "damaged" is damaged: /);
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

  it("serves a Local release only the app's group may read, and keeps its record Hop3's alone (0600 in deploy/ 0700)", async () => {
    const { dir } = release("local", { "public/index.html": "local release\n" });
    expect(statSync(join(dir, "public")).mode & 0o007).toBe(0); // nobody else may enter: the web user reads it through the app's group
    // An earlier version left its record readable by everyone: the next deploy puts that right.
    mkdirSync(join(home, "apps", "local", "deploy"), { mode: 0o755 });
    writeFileSync(stateFile(home, "local"), "{}\n", { mode: 0o644 });
    chmodSync(join(home, "apps", "local", "deploy"), 0o755);
    expect((await deployer.deploy(staticArtifact("local", dir), context)).state).toBe("running");
    expect(await httpGet(port, "local.localhost")).toMatchObject({ status: 200, body: "local release\n" });
    expect(mode(stateFile(home, "local"))).toEqual({ mode: "600", uid: 0 });
    expect(mode(join(home, "apps", "local", "deploy"))).toEqual({ mode: "700", uid: 0 });
    await deployer.destroy("local", context);
  });

  it.each([
    ["/etc", "an absolute path elsewhere"],
    ["../../../../etc", "a path that leaves the build"],
    ["public", "a link to /etc", (dir: string) => symlinkSync("/etc", join(dir, "public"))],
    ["public", "a link to another app's files", (dir: string) => symlinkSync(makeDir({ "secret.txt": "other app\n" }), join(dir, "public"))],
  ])("refuses to serve %j (%s) with STATIC_DIR_OUTSIDE_ARTIFACT; the previous release keeps serving", async (staticDir, _what, prepare?: (dir: string) => void) => {
    await deployer.deploy(staticArtifact("confined", makeDir({ "public/index.html": "confined v1\n" })), context);
    const record = readFileSync(stateFile(home, "confined"), "utf8");
    const site = readFileSync(join(home, "nginx", "sites", "confined.conf"), "utf8");
    const build = makeDir({});
    prepare?.(build);
    const error = await caught(() => deployer.deploy(staticArtifact("confined", build, staticDir), context));
    expect(error.code).toBe("STATIC_DIR_OUTSIDE_ARTIFACT");
    expect(error.message).toContain(staticDir);
    expect(readFileSync(stateFile(home, "confined"), "utf8")).toBe(record);
    expect(readFileSync(join(home, "nginx", "sites", "confined.conf"), "utf8")).toBe(site);
    expect((await httpGet(port, "confined.localhost")).body).toBe("confined v1\n");
    await deployer.destroy("confined", context);
  });

  it("refuses at start and restart a release whose directory the app replaced by a link out of it since the deploy", async () => {
    const { dir } = release("swapper", { "public/index.html": "swapper v1\n" });
    await deployer.deploy(staticArtifact("swapper", dir), context);
    expect((await httpGet(port, "swapper.localhost")).body).toBe("swapper v1\n");
    // The release tree is the app user's: the app itself may do this.
    renameSync(join(dir, "public"), join(dir, "public-moved"));
    symlinkSync("/etc", join(dir, "public"));
    try {
      // nginx follows no link, even the root's own: nothing of /etc is served meanwhile.
      const meanwhile = await httpGet(port, "swapper.localhost", "/passwd");
      expect([403, 404]).toContain(meanwhile.status);
      expect(meanwhile.body).not.toMatch(/^root:/m);
      for (const operation of [deployer.restart, deployer.start]) {
        const error = await caught(() => operation("swapper", context));
        expect(error.code).toBe("STATIC_DIR_OUTSIDE_ARTIFACT");
        expect(error.message).toContain("a link to /etc");
      }
    } finally {
      rmSync(join(dir, "public"));
      renameSync(join(dir, "public-moved"), join(dir, "public"));
    }
    expect(await deployer.restart("swapper", context)).toMatchObject({ state: "running" });
    await deployer.destroy("swapper", context);
  });

  it("is registered by its plugin for static directories", () => {
    const registry = new Registry();
    const plugin = staticDeployerPlugin();
    registry.withPlugin(plugin.name, () => plugin.register(registry));
    expect(plugin.name).toBe("@hop3/deployer-static");
    expect(registry.deployers().map((d) => [d.name, d.takes])).toEqual([["static", ["static-directory"]]]);
  });
});
