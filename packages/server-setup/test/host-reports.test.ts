import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readHop3Config, type CgroupSupport } from "@hop3/core";
import { isolationReport, legacyHomeReport, limitsReport, readConfig } from "../src/index.js";

const dir = () => mkdtempSync(join(tmpdir(), "hop3-doctor-"));
const v1 = (writable: boolean, controllers: Array<"memory" | "pids" | "cpu">): CgroupSupport => ({
  controllers: { memory: undefined, pids: undefined, cpu: undefined, ...Object.fromEntries(controllers.map((c) => [c, { version: "v1", mount: `/sys/fs/cgroup/${c}` }])) },
  writable,
});

describe("what hop3 doctor reports of the host", () => {
  it("isolation: a user per app as root, with the web user; single-user otherwise, saying what that leaves open", () => {
    expect(isolationReport({ HOP3_HOME: "/var/lib/hop3" }, true)).toEqual({ mode: "user-per-app", root: true, home: "/var/lib/hop3", appUsers: "hop3-<app>", webUser: "hop3_web", notProtected: [] });
    const single = isolationReport({ HOP3_HOME: "/home/alice/.local/share/hop3" }, false);
    expect(single).toMatchObject({ mode: "single-user", root: false });
    expect(single.notProtected.join("; ")).toContain("apps can read and change each other's files");
    expect(isolationReport({ HOP3_HOME: "/srv/h", HOP3_USER_PREFIX: "Bad Prefix" }, true).problem?.code).toBe("HOP3_SETTING_INVALID");
  });

  it("limits: how each is enforced here, and a warning for each configured default that cannot be", () => {
    const config = readHop3Config({ HOP3_CONFIG: join(dir(), "none.json") });
    const full = limitsReport(config, v1(true, ["memory", "pids", "cpu"]));
    expect(full.enforcement).toEqual({ memoryBytes: { by: "cgroup v1 memory" }, cpus: { by: "cgroup v1 cpu" }, processes: { by: "cgroup v1 pids" }, openFiles: { by: "RLIMIT_NOFILE" } });
    expect(full.warnings).toEqual([]);
    const noMemory = limitsReport(config, v1(true, ["pids"]));
    expect(noMemory.enforcement.memoryBytes).toEqual({ by: null, why: "this host has no memory cgroup controller" });
    expect(noMemory.warnings).toEqual(["The memory limit (1G) is not enforced: this host has no memory cgroup controller."]);
    const notRoot = limitsReport(config, v1(false, ["memory", "pids", "cpu"]));
    expect(notRoot.warnings).toHaveLength(2); // memory and processes have defaults; cpu has none
    expect(notRoot.enforcement.cpus).toEqual({ by: null, why: "Hop3 does not run as root, so it cannot create cgroups" });
  });

  it("config: the file read, none (defaults), or why it cannot be read", () => {
    const d = dir();
    expect(readConfig({ HOP3_CONFIG: join(d, "none.json") }).report).toMatchObject({ path: join(d, "none.json"), file: null });
    writeFileSync(join(d, "config.json"), JSON.stringify({ plugins: ["x"], logs: { keep: 5 } }));
    expect(readConfig({ HOP3_CONFIG: join(d, "config.json") }).report).toMatchObject({ file: join(d, "config.json"), plugins: ["x"], logs: { keep: 5 } });
    writeFileSync(join(d, "bad.json"), JSON.stringify({ limit: {} }));
    expect(readConfig({ HOP3_CONFIG: join(d, "bad.json") }).report.problem).toMatchObject({ code: "HOP3_CONFIG_INVALID" });
  });

  it("an old home: apps in root's default home of earlier versions, and how to move them", () => {
    expect(process.getuid?.(), "legacyRootHome looks only as root").toBe(0);
    const root = dir();
    expect(legacyHomeReport({ HOME: root })).toBeNull();
    mkdirSync(join(root, ".local/share/hop3/apps/blog"), { recursive: true });
    const report = legacyHomeReport({ HOME: root });
    expect(report).toMatchObject({ path: join(root, ".local/share/hop3"), apps: ["blog"], to: "/var/lib/hop3" });
    expect(report!.steps[0]).toBe(`HOP3_HOME=${join(root, ".local/share/hop3")} hop3 server stop`);
    // HOP3_HOME set: that is the home in use, the old one is not looked for.
    expect(legacyHomeReport({ HOME: root, HOP3_HOME: join(root, "h") })).toBeNull();
  });
});
