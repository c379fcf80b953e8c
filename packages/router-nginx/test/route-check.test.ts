import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkRoute } from "../src/route-check.js";
import { caught } from "./helpers.js";

const web = { host: "127.0.0.1", port: 5000 };

describe("checkRoute", () => {
  it("keeps a valid route, without duplicate hosts or upstreams, and trims a trailing slash", () => {
    const route = checkRoute({
      app: "blog",
      hosts: ["blog.localhost", "blog.example.org", "blog.localhost"],
      upstreams: [web, web, { host: "::1", port: 5001 }],
      staticDir: "/srv/blog/public/",
    });
    expect(route).toEqual({
      app: "blog",
      hosts: ["blog.localhost", "blog.example.org"],
      upstreams: [web, { host: "::1", port: 5001 }],
      staticDir: "/srv/blog/public",
    });
  });

  it.each([
    ["../etc", "path traversal"],
    ["Blog", "uppercase"],
    ["a;b", "a semicolon"],
    ["", "an empty name"],
    ["x".repeat(64), "64 characters"],
  ])("refuses the app name %j (%s) with core's APP_NAME_INVALID", async (app) => {
    const error = await caught(() => checkRoute({ app, hosts: ["x.localhost"], upstreams: [web] }));
    expect(error.code).toBe("APP_NAME_INVALID");
    expect(error.hint).toContain("lowercase letters");
  });

  it.each([
    ["blog.localhost; include /etc/passwd", "a directive injection"],
    ["blog.localhost\nserver_name evil", "a newline"],
    ["*.example.org", "a wildcard"],
    ["blog.localhost:8080", "a port"],
    ["Blog.Example.org", "uppercase"],
    ["~^(.*)$", "a regex server name"],
    ["", "an empty name"],
  ])("refuses the host %j (%s) with ROUTE_HOST_INVALID", async (host) => {
    const error = await caught(() => checkRoute({ app: "blog", hosts: ["blog.localhost", host], upstreams: [web] }));
    expect(error.code).toBe("ROUTE_HOST_INVALID");
    expect(error.message).toContain(JSON.stringify(host));
  });

  it("refuses a route without any host name", async () => {
    expect((await caught(() => checkRoute({ app: "blog", hosts: [], upstreams: [web] }))).code).toBe("ROUTE_HOST_INVALID");
  });

  it.each([
    ["/srv/x;\n}\nserver { root /", "a semicolon, a brace and a newline", '";"'],
    ['/srv/my"site', "a double quote", '"\\""'],
    ["/srv/$document_root", "a variable", '"$"'],
    ["/srv/a\\b", "a backslash", '"\\\\"'],
    ["/srv/{x}", "a brace", '"{"'],
    ["/srv/it's", "a single quote", `"'"`],
  ])("refuses the static directory %j (%s) with ROUTE_PATH_INVALID naming the character", async (staticDir, _why, shown) => {
    const error = await caught(() => checkRoute({ app: "blog", hosts: ["blog.localhost"], upstreams: [], staticDir }));
    expect(error.code).toBe("ROUTE_PATH_INVALID");
    expect(error.message).toContain(`contains ${shown}`);
  });

  it.each([
    ["public", "is not an absolute path"],
    ["/srv/blog/../../etc", "is not normalized"],
    ["/srv//blog", "is not normalized"],
    ["/", "is the root of the file system"],
    ["", "is empty"],
  ])("refuses the static directory %j: it %s", async (staticDir, why) => {
    const error = await caught(() => checkRoute({ app: "blog", hosts: ["blog.localhost"], upstreams: [], staticDir }));
    expect(error.code).toBe("ROUTE_PATH_INVALID");
    expect(error.message).toContain(why);
  });

  it("accepts spaces and other ordinary characters in a static directory", () => {
    expect(checkRoute({ app: "blog", hosts: ["blog.localhost"], upstreams: [], staticDir: "/srv/my site/v1.2+x@y" }).staticDir).toBe(
      "/srv/my site/v1.2+x@y",
    );
  });

  it("gives nginx the real path of a static directory that is, or goes through, a link; refuses a link to /", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hop3-route-check-"));
    try {
      mkdirSync(join(dir, "release", "public"), { recursive: true });
      symlinkSync(join(dir, "release"), join(dir, "current"));
      symlinkSync("/", join(dir, "everything"));
      const real = checkRoute({ app: "blog", hosts: ["blog.localhost"], upstreams: [], staticDir: join(dir, "current", "public") }).staticDir;
      expect(real).toBe(join(dir, "release", "public"));
      const error = await caught(() => checkRoute({ app: "blog", hosts: ["blog.localhost"], upstreams: [], staticDir: join(dir, "everything") }));
      expect(error.code).toBe("ROUTE_PATH_INVALID");
      expect(error.message).toContain("is a link to the root of the file system");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [{ host: "127.0.0.1", port: 0 }, "the port"],
    [{ host: "127.0.0.1", port: 70000 }, "the port"],
    [{ host: "127.0.0.1", port: 80.5 }, "the port"],
    [{ host: "127.0.0.1;evil", port: 80 }, "the host"],
    [{ host: "unix:/tmp/x.sock", port: 80 }, "the host"],
  ])("refuses the upstream %j with ROUTE_UPSTREAM_INVALID", async (upstream, part) => {
    const error = await caught(() => checkRoute({ app: "blog", hosts: ["blog.localhost"], upstreams: [upstream] }));
    expect(error.code).toBe("ROUTE_UPSTREAM_INVALID");
    expect(error.message).toContain(part);
  });

  it("takes the live slot's upstreams from the slots, and refuses slots that are not two apart lists of the same length", async () => {
    const a = [{ host: "127.0.0.1", port: 5000 }];
    const b = [{ host: "127.0.0.1", port: 5001 }];
    expect(checkRoute({ app: "blog", hosts: ["blog.localhost"], upstreams: [], slots: { live: "b", a, b } }).upstreams).toEqual(b);
    for (const slots of [
      { live: "c", a, b },
      { live: "a", a, b: [...b, { host: "127.0.0.1", port: 5002 }] },
      { live: "a", a, b: a },
      { live: "a", a, b: [{ host: "127.0.0.1;evil", port: 1 }] },
    ]) {
      const error = await caught(() => checkRoute({ app: "blog", hosts: ["blog.localhost"], upstreams: a, slots: slots as never }));
      expect(error.code, JSON.stringify(slots)).toBe("ROUTE_UPSTREAM_INVALID");
    }
  });

  it("refuses a route with neither upstreams nor a static directory", async () => {
    expect((await caught(() => checkRoute({ app: "blog", hosts: ["blog.localhost"], upstreams: [] }))).code).toBe("ROUTE_TARGET_MISSING");
  });
});
