import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNginxRouter } from "../src/index.js";
import { caught, freePort, httpGet, listFiles, makeDir, mastersOf, removeMadeDirs, operationContext, startUpstream, tempHome, type Upstream } from "./helpers.js";

// What must never happen to a running nginx: a bad route or a broken file taking the others down.
describe("nginx router: validation and safety", { timeout: 30_000 }, () => {
  const home = tempHome();
  const context = operationContext(home);
  const sites = join(home, "nginx", "sites");
  let port: number;
  let router: ReturnType<typeof createNginxRouter>;
  let api: Upstream;
  let blogDir: string;

  /** Every file of the prefix but the logs, with its content: "nothing written" is checked against it. */
  const snapshot = () => listFiles(join(home, "nginx")).filter((f) => !f.startsWith("logs/")).map((f) => [f, readFileSync(join(home, "nginx", f), "utf8")]);

  beforeAll(async () => {
    port = await freePort();
    router = createNginxRouter({ httpPort: port }, {});
    api = await startUpstream("api");
    blogDir = makeDir({ "index.html": "blog home\n" });
    await router.apply({ app: "api", hosts: ["api.localhost"], upstreams: [{ host: "127.0.0.1", port: api.port }] }, context);
    await router.apply({ app: "blog", hosts: ["blog.localhost"], upstreams: [], staticDir: blogDir }, context);
  });

  afterAll(async () => {
    await router.stop(context);
    await api.close();
    expect(mastersOf(home)).toEqual([]);
    rmSync(home, { recursive: true, force: true });
    removeMadeDirs();
  });

  const expectServing = async () => {
    expect(JSON.parse((await httpGet(port, "api.localhost")).body).from).toBe("api");
    expect((await httpGet(port, "blog.localhost")).body).toBe("blog home\n");
  };

  it.each([
    ["an injected host", { app: "evil", hosts: ["evil.localhost; location / { root /; }"], upstreams: [], staticDir: "/srv" }, "ROUTE_HOST_INVALID"],
    ["a host with a newline", { app: "evil", hosts: ["evil.localhost\ninclude /etc/passwd"], upstreams: [], staticDir: "/srv" }, "ROUTE_HOST_INVALID"],
    ["an injected path", { app: "evil", hosts: ["evil.localhost"], upstreams: [], staticDir: "/srv; }\nserver { root /" }, "ROUTE_PATH_INVALID"],
    ["a path with a variable", { app: "evil", hosts: ["evil.localhost"], upstreams: [], staticDir: "/srv/$host" }, "ROUTE_PATH_INVALID"],
    ["a traversing app name", { app: "../../etc/x", hosts: ["x.localhost"], upstreams: [], staticDir: "/srv" }, "APP_NAME_INVALID"],
  ])("refuses %s with its code and writes nothing", async (_what, route, code) => {
    const before = snapshot();
    const error = await caught(() => router.apply(route, context));
    expect(error.code).toBe(code);
    expect(error.hint).not.toBe("");
    expect(snapshot()).toEqual(before);
    await expectServing();
  });

  it("refuses a host name another app already has, and writes nothing", async () => {
    const before = snapshot();
    const error = await caught(() => router.apply({ app: "thief", hosts: ["thief.localhost", "blog.localhost"], upstreams: [], staticDir: blogDir }, context));
    expect(error.code).toBe("ROUTE_HOST_CONFLICT");
    expect(error.message).toContain('"blog.localhost"');
    expect(error.message).toContain('app "blog"');
    expect(snapshot()).toEqual(before);
  });

  it("keeps the old configuration serving when nginx refuses a new one, and quotes nginx's emerg line", async () => {
    const before = readFileSync(join(sites, "api.conf"), "utf8");
    // nginx resolves upstream host names when it tests a configuration: this one cannot resolve.
    const error = await caught(() => router.apply({ app: "api", hosts: ["api.localhost"], upstreams: [{ host: "no-such-host.invalid", port: 80 }] }, context));
    expect(error.code).toBe("NGINX_CONFIG_INVALID");
    expect(error.message).toContain('[emerg] host not found in upstream "no-such-host.invalid:80"');
    expect(error.message).toContain("previous configuration keeps serving");
    expect(readFileSync(join(sites, "api.conf"), "utf8")).toBe(before);
    expect(listFiles(join(home, "nginx", "staging"))).toEqual([]);
    await expectServing();
  });

  it("moves a site file broken by hand aside on the next change, and the other apps keep serving", async () => {
    writeFileSync(join(sites, "handmade.conf"), "server { listen 1.2.3.4:80; this is not nginx }\n");
    const docs = makeDir({ "index.html": "docs\n" });
    await router.apply({ app: "docs", hosts: ["docs.localhost"], upstreams: [], staticDir: docs }, context);
    expect(existsSync(join(sites, "handmade.conf"))).toBe(false);
    expect(readFileSync(join(sites, "handmade.conf.broken"), "utf8")).toContain("this is not nginx");
    expect(context.logger.entries.some((e) => e.level === "warn" && e.text.includes("moved it aside to handmade.conf.broken"))).toBe(true);
    expect((await httpGet(port, "docs.localhost")).body).toBe("docs\n");
    await expectServing();
  });

  it("starts with the other apps when a site file was broken while nginx was stopped", async () => {
    await router.stop(context);
    writeFileSync(join(sites, "zzz.conf"), 'server { server_name zzz.localhost; root "/unterminated; }\n');
    const status = await router.ensureRunning(context);
    expect(status.running).toBe(true);
    expect(status.apps).not.toContain("zzz");
    expect(existsSync(join(sites, "zzz.conf.broken"))).toBe(true);
    await expectServing();
  });

  it("puts the previous files back when nginx refuses to reload, and the old configuration keeps serving", async () => {
    // The port changed (HOP3_HTTP_PORT) to one another program holds: nginx -t passes, the reload cannot bind.
    const busyPort = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(busyPort, "127.0.0.1", resolve));
    try {
      const moved = createNginxRouter({ httpPort: busyPort, reloadTimeoutMs: 8_000 }, {});
      const mainBefore = readFileSync(join(home, "nginx", "nginx.conf"), "utf8");
      const error = await caught(() => moved.apply({ app: "late", hosts: ["late.localhost"], upstreams: [], staticDir: blogDir }, context));
      expect(error.code).toBe("NGINX_RELOAD_FAILED");
      expect(error.message).toContain(`bind() to 127.0.0.1:${busyPort} failed`);
      expect(existsSync(join(sites, "late.conf"))).toBe(false);
      expect(readFileSync(join(home, "nginx", "nginx.conf"), "utf8")).toBe(mainBefore);
      await expectServing();
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
