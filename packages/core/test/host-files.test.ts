import { closeSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync, writeSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appUserName, pathSearchableByAll, searchablePath, capLogDirectory, confineStaticDir, readAppFile, rotateByRename, rotatedFiles, rotateInPlace, syncTree, userPrefix, type BuildArtifact } from "@hop3/core";
import { caught } from "./helpers.js";

const temp = (prefix = "hop3-host-") => mkdtempSync(join(tmpdir(), prefix));
const scratchDir = temp("h3path-");

describe("app user names", () => {
  it("are <prefix>-<app> for the system home, and carry a tag of any other home", () => {
    expect(appUserName("blog", userPrefix({ home: "/var/lib/hop3", env: {} }))).toBe("hop3-blog");
    const other = userPrefix({ home: "/srv/staging", env: {} });
    expect(other).toMatch(/^h3[0-9a-f]{6}$/);
    expect(userPrefix({ home: "/srv/staging/", env: {} })).toBe(other);
    expect(userPrefix({ home: "/srv/other", env: {} })).not.toBe(other);
    expect(userPrefix({ home: "/srv/x", env: { HOP3_USER_PREFIX: "stage" } })).toBe("stage");
  });

  it("fit in 32 characters, and two long names that share a beginning stay apart", () => {
    const a = appUserName(`${"a".repeat(40)}-one`, "hop3");
    const b = appUserName(`${"a".repeat(40)}-two`, "hop3");
    expect(a.length).toBeLessThanOrEqual(32);
    expect(b.length).toBeLessThanOrEqual(32);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^hop3-a+-[0-9a-f]{8}$/);
  });

  it.each(["Hop3", "h3_", "0abc", "a".repeat(11), "with space"])("HOP3_USER_PREFIX=%s is refused", async (prefix) => {
    const error = await caught(() => userPrefix({ home: "/srv/x", env: { HOP3_USER_PREFIX: prefix } }));
    expect(error.code).toBe("HOP3_SETTING_INVALID");
  });
});

describe("an app's PATH", () => {
  it("PATH leaves out the directories the app's user cannot search", () => {
    const closed = mkdtempSync(join(scratchDir, "closed-"));
    mkdirSync(join(closed, "bin"));
    chmodSync(closed, 0o700);
    const open = mkdtempSync(join(scratchDir, "open-"));
    chmodSync(open, 0o755);
    chmodSync(scratchDir, 0o755);
    const stranger = { name: "h3-test", uid: 54321, gid: 54321, home: "/nonexistent", dedicated: true };
    const path = `${closed}/bin:${open}:/usr/bin:${scratchDir}/not-yet:relative`;
    expect(searchablePath(path, stranger)).toBe(`${open}:/usr/bin:${scratchDir}/not-yet:relative`);
    // The owner of a directory passes where others do not; a single-user install keeps PATH as it is.
    expect(searchablePath(`${closed}/bin`, { ...stranger, uid: process.getuid!() })).toBe(`${closed}/bin`);
    expect(searchablePath(path, { ...stranger, dedicated: false })).toBe(path);
    // What every user may search, for `hop3 setup`: even the owner's closed directory is left out.
    expect(pathSearchableByAll(path)).toBe(`${open}:/usr/bin:${scratchDir}/not-yet:relative`);
  });

});

describe("static directories stay inside the build", () => {
  const artifact = (location: string, staticDir: string, workingDir = location): BuildArtifact => ({
    apiVersion: 1,
    kind: "static",
    location,
    builder: "test",
    appName: "site",
    buildId: "1",
    builtAt: new Date().toISOString(),
    metadata: {},
    runtime: { workers: { static: staticDir }, env: {}, path: [], workingDir },
  });
  const build = () => {
    const root = join(temp(), "build");
    mkdirSync(join(root, "public", "inner"), { recursive: true });
    symlinkSync("/etc", join(root, "etc-link"));
    symlinkSync("public/inner", join(root, "inner-link"));
    return root;
  };

  it("a directory of the build is served, by its real path", () => {
    const root = build();
    expect(confineStaticDir(artifact(root, "public"))).toBe(join(root, "public"));
    expect(confineStaticDir(artifact(root, `${root}/public`))).toBe(join(root, "public"));
    expect(confineStaticDir(artifact(root, "inner-link"))).toBe(join(root, "public", "inner"));
  });

  it.each([
    ["an absolute path elsewhere", "/etc"],
    ["a way out with ..", "../.."],
    ["a link out of the build", "etc-link"],
  ])("%s is STATIC_DIR_OUTSIDE_ARTIFACT naming the path", async (_what, dir) => {
    const root = build();
    const error = await caught(() => confineStaticDir(artifact(root, dir)));
    expect(error.code).toBe("STATIC_DIR_OUTSIDE_ARTIFACT");
    expect(error.message).toContain(dir);
    expect(error.details.app).toBe("site");
  });

  it("an artifact whose location is not a directory (an image) has no static directory to serve", async () => {
    expect((await caught(() => confineStaticDir(artifact("hop3/site:1", "/srv/www", "/srv")))).code).toBe("STATIC_DIR_OUTSIDE_ARTIFACT");
  });

  it("no static worker: nothing to confine", () => {
    expect(confineStaticDir({ ...artifact(build(), "public"), runtime: { workers: { web: "serve" }, env: {}, path: [], workingDir: "/" } })).toBeUndefined();
  });
});

describe("reading an app's files", () => {
  it("refuses a link out of the app, and says where it leads", async () => {
    const app = temp();
    symlinkSync("/etc/hostname", join(app, "hop3.toml"));
    const error = await caught(() => readAppFile(app, join(app, "hop3.toml")));
    expect(error.code).toBe("CONFIG_FILE_OUTSIDE_APP");
    expect(error.message).toContain("/etc/hostname");
    expect(error.message).not.toContain(readFileSync("/etc/hostname", "utf8").trim() || "\u0000");
  });

  it("follows a link inside the app", () => {
    const app = temp();
    writeFileSync(join(app, "real.toml"), "[env]\n");
    symlinkSync("real.toml", join(app, "hop3.toml"));
    expect(readAppFile(app, join(app, "hop3.toml"))).toBe("[env]\n");
  });
});

describe("syncTree", () => {
  const source = () => {
    const dir = temp();
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "a.txt"), "a");
    writeFileSync(join(dir, "sub", "b.sh"), "#!/bin/sh\n");
    chmodSync(join(dir, "sub", "b.sh"), 0o4777);
    symlinkSync("/etc/shadow", join(dir, "shadow-link"));
    return dir;
  };

  it("copies files and links (never following them), without set-id bits or write for others", () => {
    const from = source();
    const to = join(temp(), "copy");
    expect(syncTree(from, to)).toEqual({ copied: 3, removed: 0, files: 2 });
    expect(readFileSync(join(to, "a.txt"), "utf8")).toBe("a");
    expect(lstatSync(join(to, "shadow-link")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(to, "shadow-link"))).toBe("/etc/shadow");
    expect(statSync(join(to, "sub", "b.sh")).mode & 0o7777).toBe(0o755);
  });

  it("an unchanged second sync copies nothing; a change, an addition and a removal are followed", () => {
    const from = source();
    const to = join(temp(), "copy");
    syncTree(from, to);
    expect(syncTree(from, to)).toEqual({ copied: 0, removed: 0, files: 2 });
    writeFileSync(join(from, "a.txt"), "changed");
    utimesSync(join(from, "a.txt"), new Date(), new Date(Date.now() + 5_000));
    writeFileSync(join(from, "new.txt"), "new");
    writeFileSync(join(to, "stray.txt"), "gone soon");
    expect(syncTree(from, to)).toEqual({ copied: 2, removed: 1, files: 3 });
    expect(readFileSync(join(to, "a.txt"), "utf8")).toBe("changed");
    expect(readdirSync(to).sort()).toEqual(["a.txt", "new.txt", "shadow-link", "sub"]);
  });

  it("leaves sockets, FIFOs and hard links' specialness out: only content is copied", () => {
    const from = source();
    linkSync(join(from, "a.txt"), join(from, "hard.txt"));
    const to = join(temp(), "copy");
    syncTree(from, to);
    expect(statSync(join(to, "hard.txt")).nlink).toBe(1);
  });
});

describe("log rotation", () => {
  it("in place: the tail goes to .1, the log is emptied, and a writer holding it open goes on at its start", () => {
    const log = join(temp(), "web.1.log");
    const writer = openSync(log, "a");
    writeSync(writer, "x".repeat(3000));
    expect(rotateInPlace(log, { maxBytes: 1000, keep: 2 })).toBe(true);
    writeSync(writer, "after\n");
    closeSync(writer);
    expect(readFileSync(log, "utf8")).toBe("after\n");
    const rotated = readFileSync(`${log}.1`, "utf8");
    expect(rotated).toContain("2000 earlier bytes of this log were dropped");
    expect(rotated.endsWith("x".repeat(1000))).toBe(true);
  });

  it("keeps no more than `keep` rotated files, newest first", () => {
    const log = join(temp(), "web.1.log");
    for (let round = 1; round <= 5; round++) {
      writeFileSync(log, String(round).repeat(200));
      rotateInPlace(log, { maxBytes: 100, keep: 3 });
    }
    expect(rotatedFiles(log)).toEqual([`${log}.1`, `${log}.2`, `${log}.3`]);
    expect(readFileSync(`${log}.1`, "utf8")).toContain("5".repeat(100));
    expect(readFileSync(`${log}.3`, "utf8")).toContain("3".repeat(100));
  });

  it("does nothing to a log under its size", () => {
    const log = join(temp(), "web.1.log");
    writeFileSync(log, "small");
    expect(rotateInPlace(log, { maxBytes: 100, keep: 3 })).toBe(false);
    expect(rotateByRename(log, { maxBytes: 100, keep: 3 })).toBe(false);
    expect(readFileSync(log, "utf8")).toBe("small");
  });

  it("by rename, for writers that reopen on a signal", () => {
    const log = join(temp(), "access.log");
    writeFileSync(log, "y".repeat(500));
    expect(rotateByRename(log, { maxBytes: 100, keep: 1 })).toBe(true);
    expect(readdirSync(join(log, "..")).sort()).toEqual(["access.log.1"]);
  });

  it("a directory over its cap loses rotated files first, oldest first, then the largest live log is emptied", () => {
    const dir = temp();
    writeFileSync(join(dir, "web.1.log"), "l".repeat(300));
    writeFileSync(join(dir, "web.1.log.2"), "o".repeat(300));
    utimesSync(join(dir, "web.1.log.2"), new Date(1_000), new Date(1_000));
    writeFileSync(join(dir, "web.1.log.1"), "n".repeat(300));
    expect(capLogDirectory(dir, 700)).toBe(300);
    expect(readdirSync(dir).sort()).toEqual(["web.1.log", "web.1.log.1"]);
    expect(capLogDirectory(dir, 100)).toBe(600);
    expect(readdirSync(dir)).toEqual(["web.1.log"]);
    expect(statSync(join(dir, "web.1.log")).size).toBe(0);
  });
});
