import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderLauncher } from "@hop3/deployer-uwsgi";
import { writeLauncher } from "../src/launcher.js";
import { caught, removeTempHomes, tempHome } from "./helpers.js";

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
      ...overrides,
    },
  };
}

describe("renderLauncher", () => {
  it("exports every value single-quoted and runs the command through sh -c, for real", () => {
    const { home, spec } = setup();
    const path = join(home, "web.1.sh");
    writeLauncher(path, spec);
    expect(statSync(path).mode & 0o777).toBe(0o700);
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

afterAll(removeTempHomes);
