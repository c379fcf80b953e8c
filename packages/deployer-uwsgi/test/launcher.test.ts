import { execFileSync } from "node:child_process";
import { chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderContainerLauncher, renderEnvFile, renderLauncher } from "@hop3/deployer-uwsgi";
import { preparePidFile, writeOwnedFile } from "../src/box.js";
import { caught, removeTempHomes, tempHome } from "./helpers.js";

const SETPRIV = "/usr/bin/setpriv";

const HOSTILE = "x\n[uwsgi]\nattach-daemon = touch /tmp/pwned\n'\"`$(id)` 100% $HOME \\";

function setup(overrides: Partial<Parameters<typeof renderLauncher>[0]> = {}) {
  const home = tempHome();
  const workingDir = join(home, "work dir");
  mkdirSync(workingDir);
  return {
    home,
    spec: {
      app: "blog",
      worker: "web",
      index: 1,
      command: `printf '%s\\0' "$HOSTILE" "$PWD" "$PATH" "$PORT" "$(cat "$PIDFILE_CHECK")" "$$" "\${UWSGI_EMPEROR_FD-unset}"`,
      env: { HOSTILE, PORT: "5000", PIDFILE_CHECK: join(home, "web.1.pid") },
      pathPrepend: ["/opt/a b/bin", "/opt/c"],
      workingDir,
      pidFile: join(home, "web.1.pid"),
      setpriv: SETPRIV,
      ...overrides,
    },
  };
}

describe("renderLauncher", () => {
  it("exports every value single-quoted and runs the command through sh -c, for real", () => {
    const { home, spec } = setup();
    const path = join(home, "web.1.sh");
    writeOwnedFile(path, renderLauncher(spec), undefined);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // As uWSGI would run it, with uWSGI's own variables in the environment.
    const output = execFileSync("/bin/sh", [path], { encoding: "utf8", env: { PATH: "/usr/bin:/bin", UWSGI_EMPEROR_FD: "8", UWSGI_RELOADS: "0" } });
    const [hostile, pwd, pathVar, port, pidInFile, shellPid, emperorFd] = output.split("\0");
    expect(hostile).toBe(HOSTILE);
    expect(pwd).toBe(spec.workingDir);
    expect(pathVar).toBe("/opt/a b/bin:/opt/c:/usr/bin:/bin");
    expect(port).toBe("5000");
    expect(pidInFile).toBe(shellPid); // the pid file names the process that runs the command
    expect(emperorFd).toBe("unset");
    expect(readFileSync(spec.pidFile, "utf8").trim()).toBe(shellPid);
  });

  it("runs the command with umask 027 and no_new_privs, through setpriv given by its absolute path", () => {
    const { spec } = setup({ command: 'umask; grep NoNewPrivs /proc/self/status; grep NoNewPrivs "/proc/$PPID/status" || true' });
    const text = renderLauncher(spec);
    expect(text).toContain(`exec ${SETPRIV} --no-new-privs /bin/sh -c `);
    const output = execFileSync("/bin/sh", ["-c", text], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
    expect(output.split("\n").slice(0, 2)).toEqual(["0027", "NoNewPrivs:\t1"]);
  });

  it("caps processes with RLIMIT_NPROC when asked (no pids cgroup), before the command runs", () => {
    const { spec } = setup({ command: "cat /proc/self/limits", processLimit: { count: 321, prlimit: "/usr/bin/prlimit" } });
    const limits = execFileSync("/bin/sh", ["-c", renderLauncher(spec)], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
    expect(limits).toMatch(/^Max processes\s+321\s+321\s+processes\s*$/m);
    expect(renderLauncher(setup().spec)).not.toContain("prlimit");
  });

  it("puts the app's PATH, when it sets one, behind the artifact's entries", () => {
    const { spec } = setup({ env: { PATH: "/app/path" }, command: 'printf %s "$PATH"' });
    const output = execFileSync("/bin/sh", ["-c", renderLauncher(spec)], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
    expect(output).toBe("/opt/a b/bin:/opt/c:/app/path");
  });

  it("leaves PATH alone without entries to add", () => {
    const { spec } = setup({ pathPrepend: [], command: 'printf %s "$PATH"' });
    expect(renderLauncher(spec)).not.toContain("export PATH");
  });

  it("fails when the working directory is gone, instead of running elsewhere", () => {
    const { spec } = setup({ workingDir: "/nonexistent/dir", command: "echo ran" });
    expect(() => execFileSync("/bin/sh", ["-c", renderLauncher(spec)], { encoding: "utf8", stdio: "pipe" })).toThrow(/nonexistent/);
  });

  it("refuses an invalid variable name or a NUL in the command", async () => {
    const { spec } = setup();
    expect((await caught(() => renderLauncher({ ...spec, env: { "A;touch /tmp/x;B": "v" } }))).code).toBe("UWSGI_ENV_NAME_INVALID");
    expect((await caught(() => renderLauncher({ ...spec, command: "a\0b" }))).code).toBe("UWSGI_ENV_VALUE_INVALID");
  });
});

describe("renderContainerLauncher", () => {
  it("starts the command with exactly the variables given (no app variable, nothing inherited), no_new_privs, recording its pid", () => {
    const home = tempHome();
    const pidFile = join(home, "web.1.pid");
    const spec = {
      app: "shop",
      worker: "web",
      index: 1,
      command: "env; grep NoNewPrivs /proc/self/status",
      env: { PATH: "/usr/bin:/bin", PORT: "5000", BIND_ADDRESS: "127.0.0.1", HOP3_INSTANCE: "shop_web.1", HOP3_ENV_FILE: join(home, "web.1.env"), HOP3_LIMIT_MEMORY: "1073741824" },
      workingDir: home,
      pidFile,
      setpriv: SETPRIV,
      envProgram: "/usr/bin/env",
    };
    const output = execFileSync("/bin/sh", ["-c", renderContainerLauncher(spec)], { encoding: "utf8", env: { PATH: "/usr/bin:/bin", SECRET: "inherited", UWSGI_EMPEROR_FD: "8" } });
    const names = output.split("\n").filter((line) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(line)).map((line) => line.slice(0, line.indexOf("=")));
    // /bin/sh itself adds PWD (and may add SHLVL or _): nothing else than what the spec exports.
    expect(names.filter((name) => !["PWD", "OLDPWD", "SHLVL", "_"].includes(name)).sort()).toEqual(Object.keys(spec.env).sort());
    expect(output).toContain(`HOP3_ENV_FILE=${join(home, "web.1.env")}\n`);
    expect(output).toContain("NoNewPrivs:\t1");
    expect(Number(readFileSync(pidFile, "utf8"))).toBeGreaterThan(1);
  });
});

describe("renderEnvFile", () => {
  it("writes Docker's --env-file format: one NAME=value line each, verbatim", () => {
    expect(renderEnvFile({ A: "1", QUOTED: `it's "quoted" $HOME %d`, EMPTY: "", SPACES: "  padded  " })).toBe(`A=1\nQUOTED=it's "quoted" $HOME %d\nEMPTY=\nSPACES=  padded  \n`);
  });

  it("refuses a value with a newline or a carriage return, naming the variable", async () => {
    for (const [value, what] of [["line 1\nline 2", "newline"], ["dos\r", "carriage return"]] as const) {
      const error = await caught(() => renderEnvFile({ OK: "1", CERTIFICATE: value }));
      expect(error.code).toBe("UWSGI_CONTAINER_ENV_VALUE_INVALID");
      expect(error.message).toContain("CERTIFICATE");
      expect(error.message).toContain(what);
      expect(error.details.name).toBe("CERTIFICATE");
    }
  });
});

describe("files the deployer writes for an app in run/", () => {
  it("writeOwnedFile writes 0600 with the owner given, and only when something differs", () => {
    const path = join(tempHome(), "web.1.sh");
    expect(writeOwnedFile(path, "one", { uid: 1, gid: 2 })).toBe(true);
    expect(statSync(path)).toMatchObject({ uid: 1, gid: 2 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(writeOwnedFile(path, "one", { uid: 1, gid: 2 })).toBe(false);
    expect(writeOwnedFile(path, "one", { uid: 0, gid: 0 })).toBe(true); // the owner changed (a container release)
    expect(statSync(path)).toMatchObject({ uid: 0, gid: 0 });
    expect(writeOwnedFile(path, "two", { uid: 0, gid: 0 })).toBe(true);
    expect(readFileSync(path, "utf8")).toBe("two");
  });

  it("preparePidFile keeps a right pid file's content, and replaces one owned otherwise", () => {
    const path = join(tempHome(), "web.1.pid");
    preparePidFile(path, { uid: 1, gid: 2 });
    expect(statSync(path)).toMatchObject({ uid: 1, gid: 2, size: 0 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    writeFileSync(path, "1234\n");
    preparePidFile(path, { uid: 1, gid: 2 });
    expect(readFileSync(path, "utf8")).toBe("1234\n");
    chownSync(path, 3, 3);
    preparePidFile(path, { uid: 1, gid: 2 });
    expect(statSync(path)).toMatchObject({ uid: 1, gid: 2, size: 0 });
  });
});

afterAll(removeTempHomes);
