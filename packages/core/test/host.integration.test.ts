import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  appDataDir,
  cgroupPids,
  createDistribution,
  detectCgroups,
  ensureAppUser,
  findAppUser,
  killAppProcesses,
  lookupGroup,
  lookupUser,
  prepareAppDirs,
  prepareCgroup,
  prepareHome,
  processesOfUid,
  removeAppUser,
  removeCgroups,
  runAsUser,
  signalAppProcess,
  webUserOf,
  writeJsonAtomic,
} from "@hop3/core";
import { caught } from "./helpers.js";

// As root (CI and these machines), Hop3 makes real system users: these tests check the real ones.
const homes: string[] = [];
const newHome = () => {
  const home = mkdtempSync(join(tmpdir(), "hop3-host-"));
  homes.push(home);
  return home;
};
const scopeOf = (home: string) => ({ home, env: { PATH: process.env.PATH } });

afterAll(() => {
  for (const home of homes) {
    for (const app of ["alpha", "beta", "gamma"]) removeAppUser(scopeOf(home), app);
    rmSync(home, { recursive: true, force: true });
  }
});

describe("a user per app", () => {
  it("is made at first use, with its own group, HOME in its data directory, no shell, and the web user in its group", () => {
    const home = newHome();
    const scope = scopeOf(home);
    const user = ensureAppUser(scope, "alpha");
    expect(user.dedicated).toBe(true);
    expect(user.uid).toBeGreaterThan(0);
    const entry = lookupUser(user.name)!;
    expect(entry.home).toBe(appDataDir(home, "alpha"));
    expect(readFileSync("/etc/passwd", "utf8")).toContain(`${user.name}:x:${user.uid}:${user.gid}:Hop3 app alpha:${appDataDir(home, "alpha")}:/usr/sbin/nologin`);
    expect(lookupGroup(user.name)?.members).toEqual([webUserOf(scope)]);
    expect(ensureAppUser(scope, "alpha")).toEqual(user); // idempotent
    expect(findAppUser(scope, "alpha")).toEqual(user);
  });

  it("two apps, two users; the same app name in two homes, two users", () => {
    const home = newHome();
    const other = newHome();
    const a = ensureAppUser(scopeOf(home), "alpha");
    const b = ensureAppUser(scopeOf(home), "beta");
    const c = ensureAppUser(scopeOf(other), "alpha");
    expect(new Set([a.uid, b.uid, c.uid]).size).toBe(3);
    expect(new Set([a.gid, b.gid, c.gid]).size).toBe(3);
  });

  it("never takes over an account it did not make for this app", async () => {
    const home = newHome();
    const scope = { home, env: { HOP3_USER_PREFIX: "hop3t" } };
    spawnSync("useradd", ["--system", "--no-create-home", "--home-dir", "/nonexistent", "hop3t-gamma"]);
    try {
      const error = await caught(() => ensureAppUser(scope, "gamma"));
      expect(error.code).toBe("APP_USER_CONFLICT");
      expect(error.message).toContain("hop3t-gamma");
      expect(removeAppUser(scope, "gamma")).toBe(false); // not ours: left alone
      expect(lookupUser("hop3t-gamma")).toBeDefined();
    } finally {
      spawnSync("userdel", ["hop3t-gamma"]);
    }
  });

  it("is removed with its group", () => {
    const home = newHome();
    const user = ensureAppUser(scopeOf(home), "alpha");
    expect(removeAppUser(scopeOf(home), "alpha")).toBe(true);
    expect(lookupUser(user.name)).toBeUndefined();
    expect(lookupGroup(user.name)).toBeUndefined();
    expect(removeAppUser(scopeOf(home), "alpha")).toBe(false);
  });
});

describe("running as the app's user", () => {
  it("drops to its uid and group only, with no capability, no way back (no_new_privs), umask 027 and a clean environment", async () => {
    const home = newHome();
    const scope = scopeOf(home);
    prepareHome(scope);
    const user = ensureAppUser(scope, "alpha");
    prepareAppDirs(scope, "alpha", user);
    const run = runAsUser(user, { env: { PATH: process.env.PATH, SECRET_TOKEN: "hop3-secret", LANG: "C.UTF-8" } });
    const result = await run("sh", ["-c", 'grep -E "^(Uid|Gid|Groups|CapEff|CapBnd|NoNewPrivs)" /proc/self/status; umask; env | sort'], { env: { APP_VAR: "x" } });
    const out = result.stdout;
    expect(out).toMatch(new RegExp(`^Uid:\\s+${user.uid}\\s+${user.uid}\\s+${user.uid}\\s+${user.uid}$`, "m"));
    expect(out).toMatch(new RegExp(`^Groups:\\s+${user.gid}\\s*$`, "m"));
    expect(out).toMatch(/^CapEff:\s+0000000000000000$/m);
    expect(out).toMatch(/^CapBnd:\s+0000000000000000$/m);
    expect(out).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(out).toMatch(/^0027$/m);
    expect(out).toContain(`HOME=${user.home}`);
    expect(out).toContain(`USER=${user.name}`);
    expect(out).toContain("APP_VAR=x");
    expect(out).toContain("LANG=C.UTF-8");
    expect(out).not.toContain("hop3-secret");
  });

  it("cannot read root's files, and writes files its group may read", async () => {
    const home = newHome();
    const scope = scopeOf(home);
    prepareHome(scope);
    const user = ensureAppUser(scope, "alpha");
    const dirs = prepareAppDirs(scope, "alpha", user);
    const run = runAsUser(user, { env: { PATH: process.env.PATH } });
    const shadow = await run("cat", ["/etc/shadow"], { allowFailure: true });
    expect(shadow.exitCode).not.toBe(0);
    expect(shadow.stderr).toContain("Permission denied");
    await run("sh", ["-c", `echo hi > ${dirs.dataDir}/made`]);
    const made = statSync(join(dirs.dataDir, "made"));
    expect([made.uid, made.gid, made.mode & 0o777]).toEqual([user.uid, user.gid, 0o640]);
  });

  it("a program that is not installed is COMMAND_NOT_FOUND, as for Hop3's own commands", async () => {
    const home = newHome();
    const user = ensureAppUser(scopeOf(home), "alpha");
    const error = await caught(() => runAsUser(user, { env: { PATH: "/usr/bin:/bin" } })("no-such-program-hop3", []));
    expect(error.code).toBe("COMMAND_NOT_FOUND");
  });
});

describe("HOP3_HOME's layout", () => {
  it("lets app users pass through HOP3_HOME and apps/, gives each app its directory, and keeps Hop3's files its own", () => {
    const home = newHome();
    const scope = scopeOf(home);
    prepareHome(scope);
    const user = ensureAppUser(scope, "alpha");
    const dirs = prepareAppDirs(scope, "alpha", user);
    const mode = (path: string) => statSync(path).mode & 0o7777;
    expect(mode(home)).toBe(0o711);
    expect(mode(join(home, "apps"))).toBe(0o711);
    expect([statSync(dirs.appDir).uid, statSync(dirs.appDir).gid, mode(dirs.appDir)]).toEqual([0, user.gid, 0o750]);
    expect([statSync(dirs.dataDir).uid, mode(dirs.dataDir)]).toEqual([user.uid, 0o700]);
    expect([statSync(dirs.tmpDir).uid, mode(dirs.tmpDir)]).toEqual([user.uid, 0o700]);
  });

  it("refuses a HOP3_HOME that app users cannot reach", async () => {
    const parent = newHome();
    chmodSync(parent, 0o700);
    const error = await caught(() => prepareHome(scopeOf(join(parent, "home"))));
    expect(error.code).toBe("HOP3_HOME_NOT_TRAVERSABLE");
    expect(error.message).toContain(parent);
  });

  it("migrates a home written before isolation: files holding env values become 0600, directories 0700", () => {
    const home = newHome();
    mkdirSync(join(home, "apps", "alpha", "releases"), { recursive: true, mode: 0o755 });
    writeFileSync(join(home, "apps", "alpha", "app.json"), '{"userEnv": {"SECRET": "x"}}', { mode: 0o644 });
    writeFileSync(join(home, "apps", "alpha", "releases", "r1.json"), "{}", { mode: 0o644 });
    mkdirSync(join(home, "apps", "alpha", "builds", "r1"), { recursive: true, mode: 0o755 });
    writeFileSync(join(home, "apps", "alpha", "builds", "r1", "app.py"), "print()", { mode: 0o644 });
    const scope = scopeOf(home);
    const user = ensureAppUser(scope, "alpha");
    prepareHome(scope);
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(mode(join(home, "apps", "alpha", "app.json"))).toBe(0o600);
    expect(mode(join(home, "apps", "alpha", "releases"))).toBe(0o700);
    expect(mode(join(home, "apps", "alpha", "releases", "r1.json"))).toBe(0o600);
    expect([statSync(join(home, "apps", "alpha")).gid, mode(join(home, "apps", "alpha"))]).toEqual([user.gid, 0o750]);
    // A release built before still runs, and its static files still serve, until the next deploy.
    expect(mode(join(home, "apps", "alpha", "builds", "r1"))).toBe(0o755);
    expect(mode(join(home, "apps", "alpha", "builds", "r1", "app.py"))).toBe(0o644);
    expect(readFileSync(join(home, ".layout"), "utf8")).toBe("2\n");
  });

  it("never chowns through a link an app planted where its data directory goes", async () => {
    const home = newHome();
    const scope = scopeOf(home);
    prepareHome(scope);
    const user = ensureAppUser(scope, "alpha");
    const dirs = prepareAppDirs(scope, "alpha", user);
    rmSync(dirs.dataDir, { recursive: true });
    const target = mkdtempSync(join(tmpdir(), "hop3-target-"));
    symlinkSync(target, dirs.dataDir);
    const error = await caught(() => prepareAppDirs(scope, "alpha", user));
    expect(error.code).toBe("STATE_PATH_UNSAFE");
    expect(statSync(target).uid).toBe(0);
    rmSync(target, { recursive: true });
  });

  it("state files Hop3 writes are for root alone", () => {
    const file = join(newHome(), "state.json");
    writeJsonAtomic(file, { SECRET: "x" });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe("cgroups on this host", () => {
  const support = detectCgroups();

  it("has the memory, pids and cpu controllers, writable by root (CI needs them)", () => {
    expect(support.writable).toBe(true);
    expect(support.controllers.memory).toBeDefined();
    expect(support.controllers.pids).toBeDefined();
    expect(support.controllers.cpu).toBeDefined();
  });

  it("a release's cgroup gets its limits, holds what joins it, and goes away once empty", async () => {
    const name = `hop3-cgtest-${process.pid}`;
    const procs = prepareCgroup(support, name, "a", { memoryBytes: 64 * 1024 ** 2, processes: 20, cpus: 0.5 });
    expect(procs.length).toBeGreaterThanOrEqual(2);
    const memory = support.controllers.memory!;
    if (memory.version === "v1") {
      expect(readFileSync(join(memory.mount, "hop3", name, "a", "memory.limit_in_bytes"), "utf8").trim()).toBe(String(64 * 1024 ** 2));
    }
    const pids = support.controllers.pids!;
    if (pids.version === "v1") expect(readFileSync(join(pids.mount, "hop3", name, "a", "pids.max"), "utf8").trim()).toBe("20");
    // A lowered hop3.toml takes effect: unset limits go back to none.
    prepareCgroup(support, name, "a", {});
    if (pids.version === "v1") expect(readFileSync(join(pids.mount, "hop3", name, "a", "pids.max"), "utf8").trim()).toBe("max");

    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    for (const file of procs) writeFileSync(file, String(child.pid));
    expect(cgroupPids(support, name)).toEqual([child.pid]);
    removeCgroups(support, name); // busy: kept
    expect(cgroupPids(support, name)).toEqual([child.pid]);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    removeCgroups(support, name);
    if (pids.version === "v1") expect(existsSync(join(pids.mount, "hop3", name))).toBe(false);
  });
});

describe("processes of an app", () => {
  it("are signalled only when the app owns them, and all killed at destroy", async () => {
    const home = newHome();
    const user = ensureAppUser(scopeOf(home), "alpha");
    const rootSleep = spawn("sleep", ["30"], { stdio: "ignore" });
    const appSleep = spawn("setpriv", [`--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", "sleep", "30"], { stdio: "ignore" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(signalAppProcess(user, rootSleep.pid!, "SIGTERM")).toBe(false);
    expect(rootSleep.exitCode).toBeNull();
    expect(processesOfUid(user.uid)).toEqual([appSleep.pid]);
    expect(await killAppProcesses(user)).toEqual([]);
    expect(processesOfUid(user.uid)).toEqual([]);
    rootSleep.kill("SIGKILL");
  });
});

describe("a distribution's app context", () => {
  it("makes the app's user and directories, and its runner runs as that user", async () => {
    const home = newHome();
    const distribution = createDistribution({ plugins: [], env: { ...process.env, HOP3_HOME: home } });
    const context = distribution.appContext("beta");
    expect(context.appUser.name).toMatch(/-beta$/);
    expect(context.appStateDir).toBe(join(home, "apps", "beta"));
    const { stdout } = await context.runAsApp("id", ["-u"]);
    expect(Number(stdout.trim())).toBe(context.appUser.uid);
  });
});
