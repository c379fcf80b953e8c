import { mkdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseVassalFileName, renderVassal, vassalFileName } from "@hop3/deployer-uwsgi";
import { isLegacyVassal, listVassals, removeVassal, touchVassal, writeVassal } from "../src/vassal.js";
import { caught, removeTempHomes, tempHome } from "./helpers.js";

const spec = {
  app: "blog",
  worker: "web",
  index: 2,
  socket: "/var/lib/hop3/uwsgi/sockets/blog/web.2.sock",
  log: "/var/lib/hop3/apps/blog/logs/web.2.log",
  launcher: "/var/lib/hop3/apps/blog/run/web.2.sh",
  stopTimeoutSeconds: 7.5,
  cgroupProcs: ["/sys/fs/cgroup/memory/hop3/hop3-blog/a/cgroup.procs", "/sys/fs/cgroup/pids/hop3/hop3-blog/a/cgroup.procs"],
  openFiles: 16384,
  user: { uid: 998, gid: 997 },
};

describe("renderVassal", () => {
  it("holds only fixed keys, paths and numbers: it joins the cgroups and sets max-fd as root, then drops to the app's uid and gid", () => {
    expect(renderVassal(spec)).toBe(
      [
        "; Written by @hop3/deployer-uwsgi (layout 2) for app blog, worker web, instance 2.",
        "[uwsgi]",
        "master = true",
        "socket = /var/lib/hop3/uwsgi/sockets/blog/web.2.sock",
        "vacuum = true",
        "cheap = true",
        "logto = /var/lib/hop3/apps/blog/logs/web.2.log",
        'exec-as-root = echo "$PPID" > /sys/fs/cgroup/memory/hop3/hop3-blog/a/cgroup.procs && echo "$PPID" > /sys/fs/cgroup/pids/hop3/hop3-blog/a/cgroup.procs',
        "max-fd = 16384",
        "uid = 998",
        "gid = 997",
        "reload-mercy = 8",
        "attach-daemon2 = cmd=exec /bin/sh /var/lib/hop3/apps/blog/run/web.2.sh,stopsignal=15",
        "",
      ].join("\n"),
    );
  });

  it("never rotates by itself (no log-maxsize): Hop3's maintenance rotates in place", () => {
    expect(renderVassal(spec)).not.toContain("log-maxsize");
  });

  it("leaves out what is not given: no cgroup to join, no limit, no user (a container's vassal keeps root)", () => {
    const text = renderVassal({ ...spec, cgroupProcs: [], openFiles: undefined, user: undefined } as never);
    for (const key of ["exec-as-root", "max-fd", "uid =", "gid ="]) expect(text).not.toContain(key);
    expect(text).toContain("attach-daemon2 = cmd=exec /bin/sh /var/lib/hop3/apps/blog/run/web.2.sh,stopsignal=15\n");
  });

  it("doubles % in paths", () => {
    expect(renderVassal({ ...spec, log: "/tmp/h3-%d/web.2.log" })).toContain("logto = /tmp/h3-%%d/web.2.log\n");
  });

  it("refuses a path that could add a directive, and a uid that is not a positive integer", async () => {
    const error = await caught(() => renderVassal({ ...spec, launcher: "/tmp/x.sh\nattach-daemon = touch /tmp/pwned" }));
    expect(error.code).toBe("UWSGI_PATH_UNSAFE");
    expect(error.message).toMatch(/^The launcher /);
    const cgroup = await caught(() => renderVassal({ ...spec, cgroupProcs: ["/sys/fs/cgroup/x\nuid = 0"] }));
    expect(cgroup.code).toBe("UWSGI_PATH_UNSAFE");
    expect(() => renderVassal({ ...spec, user: { uid: 0, gid: 0 } })).toThrow(/uid must be a positive integer/);
  });

  it("tells its own vassals from those written before apps had users (which run as root)", () => {
    expect(isLegacyVassal(renderVassal(spec))).toBe(false);
    expect(isLegacyVassal("; Written by @hop3/deployer-uwsgi for app blog, worker web, instance 2.\n[uwsgi]\n")).toBe(true);
  });
});

describe("vassal file names", () => {
  it("are <app>_<worker>.<n>.ini and read back; the app is what precedes the first _", () => {
    expect(vassalFileName("blog", "web", 1)).toBe("blog_web.1.ini");
    expect(parseVassalFileName("blog_web.1.ini")).toEqual({ app: "blog", worker: "web", index: 1, slot: "a" });
    expect(vassalFileName("blog", "web", 2, "b")).toBe("blog_web.2.b.ini");
    expect(parseVassalFileName("blog_web.2.b.ini")).toEqual({ app: "blog", worker: "web", index: 2, slot: "b" });
    expect(parseVassalFileName("my-app_queue_high.12.ini")).toEqual({ app: "my-app", worker: "queue_high", index: 12, slot: "a" });
    for (const other of [".tmp-blog_web.1.ini-123-abc", "blog_web.0.ini", "blog_web.ini", "Blog_web.1.ini", "blog.ini", "blog_1w.1.ini", "blog_web.1.c.ini", "blog_web.1.a.ini"]) {
      expect(parseVassalFileName(other), other).toBeUndefined();
    }
  });

  it("are listed per app by exact name: rdrand never sees rdrand2's", () => {
    const dir = join(tempHome(), "vassals");
    mkdirSync(dir);
    for (const file of ["rdrand_web.1.ini", "rdrand_worker_2.1.ini", "rdrand2_web.1.ini", "rdrand-x_web.1.ini", ".tmp-rdrand_web.2.ini-1-a"]) writeFileSync(join(dir, file), "");
    expect(listVassals(dir, "rdrand").map((v) => `${v.worker}.${v.index}`).sort()).toEqual(["web.1", "worker_2.1"]);
    expect(listVassals(dir, "rdrand2").map((v) => v.file)).toEqual([join(dir, "rdrand2_web.1.ini")]);
    expect(listVassals(join(dir, "missing"), "rdrand")).toEqual([]);
  });
});

describe("writing and touching vassals", () => {
  const seconds = (path: string) => Math.floor(statSync(path).mtimeMs / 1000);

  it("always moves the mtime to a later second, which is all the emperor compares", () => {
    const path = join(tempHome(), "blog_web.1.ini");
    writeVassal(path, "one");
    const first = seconds(path);
    writeVassal(path, "two"); // within the same second: the emperor would miss a plain write
    expect(seconds(path)).toBe(first + 1);
    expect(touchVassal(path)).toBe(true);
    expect(seconds(path)).toBe(first + 2);
  });

  it("uses the current second when it is later than the last change", () => {
    const path = join(tempHome(), "blog_web.1.ini");
    writeFileSync(path, "old");
    utimesSync(path, 1_000_000, 1_000_000);
    writeVassal(path, "new");
    expect(Math.abs(seconds(path) - Math.floor(Date.now() / 1000))).toBeLessThanOrEqual(1);
  });

  it("touches and removes only what exists", () => {
    const path = join(tempHome(), "blog_web.1.ini");
    expect(touchVassal(path)).toBe(false);
    expect(removeVassal(path)).toBe(false);
    writeVassal(path, "x");
    expect(removeVassal(path)).toBe(true);
  });
});

afterAll(removeTempHomes);
