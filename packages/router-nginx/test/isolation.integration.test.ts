import { spawnSync } from "node:child_process";
import { createServer, request } from "node:http";
import { chmodSync, chownSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureAppUser, lookupUser, removeAppUser, userPrefix, webUserName, type PasswdEntry } from "@hop3/core";
import { createNginxRouter } from "../src/index.js";
import {
  appRelease,
  childrenOf,
  credentialsOf,
  currentWorkers,
  freePort,
  httpGet,
  makeDir,
  mastersOf,
  operationContext,
  removeMadeDirs,
  startUpstream,
  tempHome,
  type Upstream,
} from "./helpers.js";

const PASSWD_LINE = /^root:/m;
const HOSTNAME = readFileSync("/etc/hostname", "utf8").trim();

// As root (here and in CI): nginx's workers run as the home's web user and read only what apps
// publish to it; no link in a served directory is ever followed.
describe("nginx router: what its workers may read", { timeout: 30_000 }, () => {
  const home = tempHome();
  const scope = { home, env: process.env };
  const context = operationContext(home);
  const apps: string[] = [];
  const upstreams: Upstream[] = [];
  let port: number;
  let router: ReturnType<typeof createNginxRouter>;
  let web: PasswdEntry;
  let master: number;

  // The workers of the configuration now (`before`: the master's children before a reload).
  const workerCredentials = async (before: readonly number[] = []) => (await currentWorkers(master, before)).map(credentialsOf);
  const release = (app: string, files: Record<string, string>) => {
    apps.push(app);
    return appRelease(home, app, files);
  };

  beforeAll(async () => {
    expect(process.getuid?.()).toBe(0); // what this file checks exists only as root
    port = await freePort();
    router = createNginxRouter({ httpPort: port }, {});
    const status = await router.ensureRunning(context);
    master = status.pid!;
    web = lookupUser(webUserName(userPrefix(scope)))!;
  });

  afterAll(async () => {
    await router.stop(context);
    await Promise.all(upstreams.map((u) => u.close()));
    expect(mastersOf(home)).toEqual([]);
    for (const app of apps) removeAppUser(scope, app);
    spawnSync("userdel", [web.name], { stdio: "ignore" });
    rmSync(home, { recursive: true, force: true });
    removeMadeDirs();
  });

  it("runs its workers as the home's web user and group; the master stays root", async () => {
    expect(web).toBeDefined();
    expect(web.name).toMatch(/^h3[0-9a-f]{6}_web$/);
    expect(readFileSync(join(home, "nginx", "nginx.conf"), "utf8")).toMatch(new RegExp(`^user ${web.name};$`, "m"));
    const workers = await workerCredentials();
    for (const worker of workers) expect(worker).toMatchObject({ uid: web.uid, gid: web.gid });
    expect(credentialsOf(master).uid).toBe(0);
  });

  it("lets the workers' group pass to logs/ and temp/ only; configuration is root's alone", () => {
    const mode = (path: string) => {
      const stat = statSync(join(home, "nginx", path));
      return { mode: (stat.mode & 0o7777).toString(8), uid: stat.uid, gid: stat.gid };
    };
    for (const dir of ["", "logs", "temp"]) expect(mode(dir)).toEqual({ mode: "710", uid: 0, gid: web.gid });
    for (const dir of ["sites", "staging"]) expect(mode(dir)).toEqual({ mode: "700", uid: 0, gid: 0 });
    expect(mode("nginx.conf")).toMatchObject({ mode: "600", uid: 0 });
  });

  it("reads an app's release through the app's group, made after nginx started, once the route's reload started new workers", async () => {
    const { user, dir } = release("late", { "index.html": "late home\n", "css/site.css": "late css\n" });
    expect(statSync(dir).mode & 0o007).toBe(0); // others (nobody) may not enter
    expect((await workerCredentials()).every((worker) => !worker.groups.includes(user.gid))).toBe(true);
    const before = childrenOf(master);
    await router.apply({ app: "late", hosts: ["late.localhost"], upstreams: [], staticDir: dir }, context);
    expect(await httpGet(port, "late.localhost")).toMatchObject({ status: 200, body: "late home\n" });
    expect((await httpGet(port, "late.localhost", "/css/site.css")).body).toBe("late css\n");
    const workers = await workerCredentials(before);
    for (const worker of workers) {
      expect(worker.uid).toBe(web.uid);
      expect(worker.groups).toContain(user.gid);
    }
  });

  it("reloads an unchanged route when its workers lack a group their user gained since they started", async () => {
    const dir = makeDir({ "index.html": "gained\n" });
    await router.apply({ app: "gained", hosts: ["gained.localhost"], upstreams: [], staticDir: dir }, context);
    expect((await httpGet(port, "gained.localhost")).body).toBe("gained\n");
    // The app's user and group come later; its files become its group's alone.
    apps.push("gained");
    const user = ensureAppUser(scope, "gained");
    for (const path of [dir, join(dir, "index.html")]) chownSync(path, 0, user.gid);
    chmodSync(dir, 0o750);
    chmodSync(join(dir, "index.html"), 0o640);
    expect([403, 404]).toContain((await httpGet(port, "gained.localhost")).status); // the running workers cannot read it
    const before = childrenOf(master);
    await router.apply({ app: "gained", hosts: ["gained.localhost"], upstreams: [], staticDir: dir }, context);
    expect(await httpGet(port, "gained.localhost")).toMatchObject({ status: 200, body: "gained\n" });
    for (const worker of await workerCredentials(before)) expect(worker.groups).toContain(user.gid);
  });

  it("buffers a large request body in temp/, which the workers reach as the web user", async () => {
    // Past client_body_buffer_size (16k), nginx writes the body to client_body temp before passing it on.
    const server = createServer((req, res) => {
      let length = 0;
      req.on("data", (chunk: Buffer) => (length += chunk.length));
      req.on("end", () => res.end(`received ${length}`));
    });
    const upstreamPort = await freePort();
    await new Promise<void>((resolve) => server.listen(upstreamPort, "127.0.0.1", resolve));
    upstreams.push({ port: upstreamPort, close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    await router.apply({ app: "upload", hosts: ["upload.localhost"], upstreams: [{ host: "127.0.0.1", port: upstreamPort }] }, context);
    const body = Buffer.alloc(1024 * 1024, "x");
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method: "POST", path: "/upload", headers: { host: "upload.localhost", "content-length": body.length }, agent: false }, (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on("error", reject);
      req.end(body);
    });
    expect(answer).toEqual({ status: 200, text: `received ${body.length}` });
    expect(statSync(join(home, "nginx", "temp", "client_body")).uid).toBe(web.uid);
  });

  describe("links in a served directory", () => {
    let otherSecret: string;
    let otherGid: number;

    beforeAll(() => {
      // Another app's file the web user may read (it is in that app's group): only the link rule keeps it out.
      const other = release("other", { "secret.txt": "other app secret\n" });
      otherSecret = join(other.dir, "secret.txt");
      otherGid = other.user.gid;
    });

    /** A directory with links to /etc/passwd, /etc, another app's file and a directory of its own. */
    const withLinks = (files: Record<string, string>) => {
      const dir = makeDir({ ...files, "real.txt": "real file\n", "sub/page.html": "sub page\n" });
      symlinkSync("/etc/passwd", join(dir, "pw"));
      symlinkSync("/etc", join(dir, "etc"));
      symlinkSync(otherSecret, join(dir, "secret.txt"));
      symlinkSync(join(dir, "sub"), join(dir, "inner"));
      return dir;
    };

    const expectNoLinkFollowed = async (host: string, fallback: (answer: { status: number; body: string }) => void) => {
      for (const path of ["/pw", "/etc/passwd", "/etc/hostname", "/secret.txt", "/inner/page.html"]) {
        const answer = await httpGet(port, host, path);
        expect(answer.body).not.toMatch(PASSWD_LINE);
        expect(answer.body).not.toContain("other app secret");
        expect(answer.body).not.toContain("sub page");
        if (HOSTNAME !== "") expect(answer.body.trim()).not.toBe(HOSTNAME);
        fallback(answer);
      }
    };

    it("answers 403 or 404 for every link of a static-only site, and still serves its files", async () => {
      const dir = withLinks({});
      const before = childrenOf(master);
      await router.apply({ app: "links", hosts: ["links.localhost"], upstreams: [], staticDir: dir }, context);
      for (const worker of await workerCredentials(before)) expect(worker.groups).toContain(otherGid); // it could read the secret
      expect(await httpGet(port, "links.localhost", "/real.txt")).toMatchObject({ status: 200, body: "real file\n" });
      expect(await httpGet(port, "links.localhost", "/sub/page.html")).toMatchObject({ status: 200, body: "sub page\n" });
      await expectNoLinkFollowed("links.localhost", (answer) => expect([403, 404]).toContain(answer.status));
      const site = readFileSync(join(home, "nginx", "sites", "links.conf"), "utf8");
      expect(site).toContain(`root "${realpathSync(dir)}";`);
      expect(site).toContain("disable_symlinks on;");
    });

    it("gives index.html for a link in a single-page app, never the link's target", async () => {
      const dir = withLinks({ "index.html": "spa home\n" });
      await router.apply({ app: "spa", hosts: ["spa.localhost"], upstreams: [], staticDir: dir }, context);
      expect((await httpGet(port, "spa.localhost")).body).toBe("spa home\n");
      expect((await httpGet(port, "spa.localhost", "/some/client/route")).body).toBe("spa home\n");
      expect((await httpGet(port, "spa.localhost", "/real.txt")).body).toBe("real file\n");
      await expectNoLinkFollowed("spa.localhost", (answer) => expect(answer.body).toBe("spa home\n"));
    });

    it("asks the app for a link in a web app's static directory, never serves the link's target", async () => {
      const upstream = await startUpstream("webapp");
      upstreams.push(upstream);
      const dir = withLinks({});
      await router.apply({ app: "webapp", hosts: ["webapp.localhost"], upstreams: [{ host: "127.0.0.1", port: upstream.port }], staticDir: dir }, context);
      expect((await httpGet(port, "webapp.localhost", "/real.txt")).body).toBe("real file\n");
      await expectNoLinkFollowed("webapp.localhost", (answer) => expect(JSON.parse(answer.body)).toMatchObject({ from: "webapp" }));
    });

    it("serves nothing through a static directory replaced by a link after the deploy", async () => {
      // A Local release is the app user's: the app itself may swap its directory for a link.
      const dir = makeDir({ "index.html": "before the swap\n" });
      await router.apply({ app: "swapped", hosts: ["swapped.localhost"], upstreams: [], staticDir: dir }, context);
      expect((await httpGet(port, "swapped.localhost")).body).toBe("before the swap\n");
      renameSync(dir, `${dir}-moved`);
      symlinkSync("/etc", dir);
      try {
        for (const path of ["/passwd", "/hostname", "/"]) {
          const answer = await httpGet(port, "swapped.localhost", path);
          expect([403, 404]).toContain(answer.status);
          expect(answer.body).not.toMatch(PASSWD_LINE);
        }
      } finally {
        rmSync(dir);
        renameSync(`${dir}-moved`, dir);
      }
    });

    it("routes a static directory given through a link to its real path", async () => {
      const dir = makeDir({ "index.html": "through a link\n" });
      const link = `${dir}-current`;
      symlinkSync(dir, link);
      try {
        await router.apply({ app: "current", hosts: ["current.localhost"], upstreams: [], staticDir: link }, context);
        expect((await httpGet(port, "current.localhost")).body).toBe("through a link\n");
        expect(readFileSync(join(home, "nginx", "sites", "current.conf"), "utf8")).toContain(`root "${realpathSync(dir)}";`);
      } finally {
        rmSync(link);
      }
    });
  });
});
