import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNginxRouter, UNKNOWN_HOST_BODY } from "../src/index.js";
import { freePort, httpGet, isAlive, makeDir, mastersOf, removeMadeDirs, operationContext, rawExchange, startUpstream, tempHome, type Upstream } from "./helpers.js";

// Real nginx on a free port, real HTTP servers behind it: what a browser would see.
describe("nginx router: routing", { timeout: 30_000 }, () => {
  const home = tempHome();
  const context = operationContext(home);
  let port: number;
  let router: ReturnType<typeof createNginxRouter>;
  const upstreams: Upstream[] = [];
  const upstream = async (name: string) => {
    const server = await startUpstream(name);
    upstreams.push(server);
    return server;
  };

  beforeAll(async () => {
    port = await freePort();
    router = createNginxRouter({ httpPort: port }, {});
  });

  afterAll(async () => {
    await router.stop(context);
    await Promise.all(upstreams.map((u) => u.close()));
    expect(mastersOf(home)).toEqual([]);
    rmSync(home, { recursive: true, force: true });
    removeMadeDirs();
  });

  it("starts nginx on demand, detached from Hop3, and answers unknown hosts with a 404 and a short text", async () => {
    const status = await router.ensureRunning(context);
    expect(status).toMatchObject({ running: true, listen: `127.0.0.1:${port}`, apps: [] });
    // setsid: its own session, so it outlives the Node process that started it.
    const [, ppid, , session] = readFileSync(`/proc/${status.pid}/stat`, "utf8").split(") ")[1]!.split(" ").map(Number);
    expect(session).toBe(status.pid);
    expect(ppid).not.toBe(process.pid);
    const answer = await httpGet(port, "nobody.localhost");
    expect(answer.status).toBe(404);
    expect(answer.body.trim()).toBe(UNKNOWN_HOST_BODY);
  });

  it("serves a static-only app: files with their type, index.html, index.html for unknown paths", async () => {
    const dir = makeDir({ "index.html": "<h1>docs home</h1>\n", "style.css": "body{}\n", "guide/index.html": "guide\n" });
    const { url } = await router.apply({ app: "docs", hosts: ["docs.localhost"], upstreams: [], staticDir: dir }, context);
    expect(url).toBe(`http://docs.localhost:${port}/`);
    expect(await httpGet(port, "docs.localhost")).toMatchObject({ status: 200, body: "<h1>docs home</h1>\n" });
    const css = await httpGet(port, "docs.localhost", "/style.css");
    expect(css).toMatchObject({ status: 200, body: "body{}\n" });
    expect(css.headers["content-type"]).toBe("text/css");
    expect((await httpGet(port, "docs.localhost", "/guide/")).body).toBe("guide\n");
    expect((await httpGet(port, "docs.localhost", "/some/client/route")).body).toBe("<h1>docs home</h1>\n");
  });

  it("never serves dot-files such as .git, but serves .well-known", async () => {
    const dir = makeDir({ "index.html": "home\n", ".git/config": "[core] secret\n", ".env": "KEY=secret\n", ".well-known/security.txt": "contact\n" });
    await router.apply({ app: "dots", hosts: ["dots.localhost"], upstreams: [], staticDir: dir }, context);
    for (const path of ["/.git/config", "/.env"]) {
      const answer = await httpGet(port, "dots.localhost", path);
      expect(answer.status).toBe(403);
      expect(answer.body).not.toContain("secret");
    }
    expect(await httpGet(port, "dots.localhost", "/.well-known/security.txt")).toMatchObject({ status: 200, body: "contact\n" });
  });

  it("proxies a web app, which receives Host and the X-Forwarded-* headers", async () => {
    const api = await upstream("api");
    await router.apply({ app: "api", hosts: ["api.localhost"], upstreams: [{ host: "127.0.0.1", port: api.port }] }, context);
    const answer = await httpGet(port, `api.localhost:${port}`, "/v1/items?x=1");
    expect(answer.status).toBe(200);
    const seen = JSON.parse(answer.body);
    expect(seen.from).toBe("api");
    expect(seen.path).toBe("/v1/items?x=1");
    expect(seen.headers).toMatchObject({
      host: `api.localhost:${port}`,
      "x-forwarded-for": "127.0.0.1",
      "x-real-ip": "127.0.0.1",
      "x-forwarded-proto": "http",
      "x-forwarded-host": "api.localhost",
      "x-forwarded-port": String(port),
    });
  });

  it("passes a websocket upgrade through to the app", async () => {
    const received = await rawExchange(
      port,
      "GET /socket HTTP/1.1\r\nHost: api.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
    expect(received).toMatch(/^HTTP\/1\.1 101 /);
    const seen = JSON.parse(received.slice(received.indexOf("\r\n\r\n") + 4));
    expect(seen.headers).toMatchObject({ upgrade: "websocket", connection: "upgrade" });
  });

  it("serves a web app's static files first and falls back to the app for everything else", async () => {
    const shop = await upstream("shop");
    const dir = makeDir({ "style.css": "shop css\n", "promo/index.html": "promo page\n" });
    await router.apply({ app: "shop", hosts: ["shop.localhost"], upstreams: [{ host: "127.0.0.1", port: shop.port }], staticDir: dir }, context);
    expect((await httpGet(port, "shop.localhost", "/style.css")).body).toBe("shop css\n");
    expect((await httpGet(port, "shop.localhost", "/promo/")).body).toBe("promo page\n");
    // No index.html at / and no file /cart: both go to the app, not 403 or 404.
    expect(JSON.parse((await httpGet(port, "shop.localhost", "/")).body)).toMatchObject({ from: "shop", path: "/" });
    expect(JSON.parse((await httpGet(port, "shop.localhost", "/cart")).body)).toMatchObject({ from: "shop", path: "/cart" });
  });

  it("routes two apps side by side, each by its own host names, domains included", async () => {
    const one = await upstream("one");
    const two = await upstream("two");
    await router.apply({ app: "one", hosts: ["one.localhost", "one.example.org"], upstreams: [{ host: "127.0.0.1", port: one.port }] }, context);
    await router.apply({ app: "two", hosts: ["two.localhost"], upstreams: [{ host: "127.0.0.1", port: two.port }] }, context);
    expect(JSON.parse((await httpGet(port, "one.localhost")).body).from).toBe("one");
    expect(JSON.parse((await httpGet(port, "one.example.org")).body).from).toBe("one");
    expect(JSON.parse((await httpGet(port, "two.localhost")).body).from).toBe("two");
    expect((await httpGet(port, "docs.localhost")).body).toBe("<h1>docs home</h1>\n");
  });

  it("spreads requests over every instance of a scaled web worker", async () => {
    const a = await upstream("scaled-a");
    const b = await upstream("scaled-b");
    const ports = [a.port, b.port].map((p) => ({ host: "127.0.0.1", port: p }));
    await router.apply({ app: "scaled", hosts: ["scaled.localhost"], upstreams: ports }, context);
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) seen.add(JSON.parse((await httpGet(port, "scaled.localhost")).body).from);
    expect([...seen].sort()).toEqual(["scaled-a", "scaled-b"]);
  });

  it("replaces an app's route on a new apply: the new upstream answers at once", async () => {
    const next = await upstream("api-v2");
    await router.apply({ app: "api", hosts: ["api.localhost"], upstreams: [{ host: "127.0.0.1", port: next.port }] }, context);
    // apply returns once the old workers stopped accepting: no request may reach the old config.
    for (let i = 0; i < 5; i++) expect(JSON.parse((await httpGet(port, "api.localhost")).body).from).toBe("api-v2");
  });

  it("applies the same route again without reloading nginx (its workers stay the same)", async () => {
    const route = { app: "same", hosts: ["same.localhost"], upstreams: [{ host: "127.0.0.1", port: (await upstream("same")).port }] };
    await router.apply(route, context);
    const workers = () => readFileSync(`/proc/${mastersOf(home)[0]}/task/${mastersOf(home)[0]}/children`, "utf8").trim();
    const before = workers();
    await router.apply(route, context);
    expect(workers()).toBe(before);
    await router.apply({ ...route, hosts: ["same.localhost", "same.example.org"] }, context);
    expect(workers()).not.toBe(before);
  });

  it("switches an app between its release slots without reloading nginx, never to the slot that is not live", async () => {
    const a = await upstream("slot-a");
    const b = await upstream("slot-b");
    const slots = { a: [{ host: "127.0.0.1", port: a.port }], b: [{ host: "127.0.0.1", port: b.port }] };
    const from = async () => JSON.parse((await httpGet(port, "slotted.localhost")).body).from;
    await router.apply({ app: "slotted", hosts: ["slotted.localhost"], upstreams: slots.a, slots: { live: "a", ...slots } }, context);
    expect(await from()).toBe("slot-a");
    const workers = () => readFileSync(`/proc/${mastersOf(home)[0]}/task/${mastersOf(home)[0]}/children`, "utf8").trim();
    const before = workers();
    await router.apply({ app: "slotted", hosts: ["slotted.localhost"], upstreams: slots.b, slots: { live: "b", ...slots } }, context);
    for (let i = 0; i < 3; i++) expect(await from()).toBe("slot-b");
    await router.apply({ app: "slotted", hosts: ["slotted.localhost"], upstreams: slots.a, slots: { live: "a", ...slots } }, context);
    expect(await from()).toBe("slot-a");
    expect(workers()).toBe(before);
    // The other slot's port is no fallback: whoever listens there gets nothing while it is not live.
    await a.close();
    for (let i = 0; i < 3; i++) expect((await httpGet(port, "slotted.localhost")).status).toBe(502);
    await router.settle!(context); // the workers are idle: at once
    await router.remove("slotted", context);
    expect(existsSync(join(home, "nginx", "live", "slotted.b"))).toBe(false);
  });

  it("sends a GET that reached the old slot as it stopped once more, to the slot live now; never a POST", async () => {
    const b = await upstream("slot-b");
    // Slot a stands for an instance that stops just as a request reaches it: it switches to b, then drops the connection unanswered.
    const live = join(home, "nginx", "live", "racy.b");
    const stopping = createServer((socket) => {
      writeFileSync(live, "");
      socket.destroy();
    });
    await new Promise<void>((done) => stopping.listen(0, "127.0.0.1", done));
    const a = [{ host: "127.0.0.1", port: (stopping.address() as AddressInfo).port }];
    const slots = { a, b: [{ host: "127.0.0.1", port: b.port }] };
    try {
      await router.apply({ app: "racy", hosts: ["racy.localhost"], upstreams: slots.a, slots: { live: "a", ...slots } }, context);
      const answer = await httpGet(port, "racy.localhost");
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body).from).toBe("slot-b");

      rmSync(live);
      const post = await rawExchange(port, "POST / HTTP/1.1\r\nHost: racy.localhost\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
      expect(post).toMatch(/^HTTP\/1\.1 502 /);
      expect(existsSync(live)).toBe(true); // it did reach slot a, which switched: only the POST was not sent again
    } finally {
      await router.remove("racy", context);
      await new Promise((done) => stopping.close(done));
    }
  });

  it("waits for a busy app whose accept queue is full, past the kernel's third try to connect, rather than answer 504", async () => {
    // An instance too busy to accept for 5.5 s: one queued connection fills its queue, so the kernel
    // drops nginx's first packet and sends it again at 1, 3 and 7 s; the one at 7 s is taken.
    const script = [
      "import sys, time",
      "from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler",
      "class Handler(BaseHTTPRequestHandler):",
      "    def do_GET(self):",
      "        body = b'served late\\n'",
      "        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.send_header('Connection', 'close'); self.end_headers(); self.wfile.write(body)",
      "    def log_message(self, *args): pass",
      "server = ThreadingHTTPServer(('127.0.0.1', 0), Handler, bind_and_activate=False)",
      "server.daemon_threads = True",
      "server.socket.bind(('127.0.0.1', 0)); server.socket.listen(0)",
      "print(server.socket.getsockname()[1], flush=True)",
      "time.sleep(5.5)",
      "server.serve_forever()",
    ].join("\n");
    const busy = spawn("/usr/bin/python3", ["-c", script], { stdio: ["ignore", "pipe", "inherit"] });
    let filler: Socket | undefined;
    try {
      const appPort = Number(await new Promise<string>((done) => busy.stdout!.once("data", (chunk: Buffer) => done(chunk.toString()))));
      const queued = connect(appPort, "127.0.0.1");
      filler = queued;
      queued.on("error", () => undefined);
      await new Promise((done) => queued.once("connect", done));
      await router.apply({ app: "busy", hosts: ["busy.localhost"], upstreams: [{ host: "127.0.0.1", port: appPort }] }, context);
      const started = Date.now();
      const answer = await rawExchange(port, "GET / HTTP/1.1\r\nHost: busy.localhost\r\nConnection: close\r\n\r\n", 20_000);
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      expect(answer).toContain("served late");
      expect(Date.now() - started).toBeGreaterThan(5_000); // it did wait past the third try
    } finally {
      filler?.destroy();
      busy.kill();
      await router.remove("busy", context);
    }
  });

  it("removes an app's route: its hosts get the 404, the other apps keep serving, removing again does nothing", async () => {
    const status = await router.status(context);
    expect(status.apps).toEqual(["api", "docs", "dots", "one", "same", "scaled", "shop", "two"]);
    await router.remove("two", context);
    expect(await httpGet(port, "two.localhost")).toMatchObject({ status: 404 });
    expect(existsSync(join(home, "nginx", "sites", "two.conf"))).toBe(false);
    expect(JSON.parse((await httpGet(port, "one.localhost")).body).from).toBe("one");
    await router.remove("two", context);
    expect((await router.status(context)).apps).not.toContain("two");
    expect(isAlive(status.pid!)).toBe(true);
  });
});
