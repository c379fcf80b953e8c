import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderRunCommand } from "../src/index.js";

const SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

/** A fake docker that records its arguments, one call per line, and the environment it was given: what the real CLI would see. */
function fakeDocker(): { dir: string; docker: string } {
  const dir = mkdtempSync(join(tmpdir(), "hop3-fake-docker-"));
  const docker = join(dir, "docker");
  writeFileSync(docker, `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done >> ${dir}/calls\nprintf '\\n' >> ${dir}/calls\nenv -0 > ${dir}/env\n`);
  chmodSync(docker, 0o755);
  return { dir, docker };
}

/** The app's environment file, as the deployer writes it. */
function envFile(lines: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "hop3-env-")), "web.env");
  writeFileSync(file, lines, { mode: 0o600 });
  return file;
}

/** Runs the rendered command as the deployer does: /bin/sh, with only the contract's variables. */
function runWithFakeDocker(env: Record<string, string>, dockerHost?: string): { calls: string[][]; env: Record<string, string> } {
  const { dir, docker } = fakeDocker();
  const command = renderRunCommand({ appName: "my-app", image: "hop3/my-app:r1", containerPort: 8080, docker, ...(dockerHost !== undefined && { dockerHost }) });
  execFileSync("/bin/sh", ["-c", command], { env: { PATH: SYSTEM_PATH, ...env } });
  const calls = readFileSync(join(dir, "calls"), "utf8").split("\n").filter(Boolean).map((line) => line.split("\0").slice(0, -1));
  const seen = Object.fromEntries(readFileSync(join(dir, "env"), "utf8").split("\0").filter(Boolean).map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
  return { calls, env: seen };
}

/** The value after each occurrence of `flag`. */
const valuesOf = (args: readonly string[], flag: string): string[] => args.flatMap((arg, i) => (args[i - 1] === flag ? [arg] : []));

describe("the web worker's command", () => {
  const assigned = { PORT: "41234", BIND_ADDRESS: "127.0.0.1", HOP3_INSTANCE: "my-app_web.2" };

  it("removes a leftover, then runs the container in the foreground with --rm --init, no new privileges, a name and the port", () => {
    const { calls } = runWithFakeDocker({ ...assigned, HOP3_ENV_FILE: envFile("A=1\n") });
    expect(calls[0]).toEqual(["rm", "-f", "hop3-my-app-web-2"]);
    const run = calls[1]!;
    expect(run.slice(0, 9)).toEqual(["run", "--rm", "--init", "--security-opt", "no-new-privileges", "--name", "hop3-my-app-web-2", "--label", "hop3.app=my-app"]);
    expect(valuesOf(run, "-p")).toEqual(["127.0.0.1:41234:8080"]);
    expect(run.slice(-3)).toEqual(["-e", "PORT=8080", "hop3/my-app:r1"]);
  });

  it("gives the app's variables to the container through the env file, never to the CLI", () => {
    const file = envFile("SECRET=a'b\"c $(touch /tmp/hop3-pwned) `x` ;|& *\nLD_PRELOAD=/nonexistent.so\nDOCKER_HOST=unix:///elsewhere.sock\n");
    const { calls, env } = runWithFakeDocker({ ...assigned, HOP3_ENV_FILE: file });
    const run = calls[1]!;
    expect(valuesOf(run, "--env-file")).toEqual([file]);
    expect(valuesOf(run, "-e")).toEqual(["PORT=8080"]);
    expect(run.some((arg) => arg.includes("pwned") || arg.includes("SECRET"))).toBe(false);
    for (const name of ["SECRET", "LD_PRELOAD", "DOCKER_HOST"]) expect(env[name], name).toBeUndefined();
    expect(existsSync("/tmp/hop3-pwned")).toBe(false);
  });

  it("sets the limits the deployer gives, and only those", () => {
    const limits = { HOP3_LIMIT_MEMORY: "268435456", HOP3_LIMIT_CPUS: "0.5", HOP3_LIMIT_PROCESSES: "64", HOP3_LIMIT_OPEN_FILES: "4096" };
    const run = runWithFakeDocker({ ...assigned, ...limits, HOP3_ENV_FILE: envFile("") }).calls[1]!;
    expect(valuesOf(run, "--memory")).toEqual(["268435456"]);
    expect(valuesOf(run, "--memory-swap")).toEqual(["268435456"]);
    expect(valuesOf(run, "--cpus")).toEqual(["0.5"]);
    expect(valuesOf(run, "--pids-limit")).toEqual(["64"]);
    expect(valuesOf(run, "--ulimit")).toEqual(["nofile=4096:4096"]);

    const unlimited = runWithFakeDocker({ ...assigned, HOP3_LIMIT_PROCESSES: "", HOP3_ENV_FILE: envFile("") }).calls[1]!;
    for (const flag of ["--memory", "--memory-swap", "--cpus", "--pids-limit", "--ulimit"]) expect(unlimited, flag).not.toContain(flag);
  });

  it("mounts nothing, is never privileged and keeps the image's USER", () => {
    const command = renderRunCommand({ appName: "my-app", image: "hop3/my-app:r1", containerPort: 8080, docker: "/usr/bin/docker" });
    for (const word of ["-v ", "--volume", "--mount", "docker.sock", "--privileged", "--user", "-u ", "--cap-add", "--pid ", "--pid=", "--network host", "--ipc"]) expect(command, word).not.toContain(word);
    const run = runWithFakeDocker({ ...assigned, HOP3_ENV_FILE: envFile("") }).calls[1]!;
    expect(run.filter((arg) => arg.startsWith("-"))).toEqual(["--rm", "--init", "--security-opt", "--name", "--label", "-p", "--env-file", "-e"]);
  });

  it("does not start the container without the app's environment file", () => {
    const { dir, docker } = fakeDocker();
    const command = renderRunCommand({ appName: "my-app", image: "hop3/my-app:r1", containerPort: 8080, docker });
    for (const HOP3_ENV_FILE of [undefined, join(dir, "missing.env")]) {
      const result = spawnSync("/bin/sh", ["-c", command], { env: { PATH: SYSTEM_PATH, ...assigned, ...(HOP3_ENV_FILE !== undefined && { HOP3_ENV_FILE }) }, encoding: "utf8" });
      expect(result.status).toBe(78);
      expect(result.stderr).toContain("HOP3_ENV_FILE does not name the app's environment file");
      expect(existsSync(join(dir, "calls"))).toBe(false);
    }
  });

  it("names the engine that built the image", () => {
    const { calls } = runWithFakeDocker({ ...assigned, HOP3_ENV_FILE: envFile("") }, "unix:///tmp/x y/docker.sock");
    expect(calls[1]!.slice(0, 3)).toEqual(["--host", "unix:///tmp/x y/docker.sock", "run"]);
  });

  it("falls back to instance 1 when HOP3_INSTANCE is not set", () => {
    const { calls } = runWithFakeDocker({ PORT: "1", BIND_ADDRESS: "127.0.0.1", HOP3_ENV_FILE: envFile("") });
    expect(calls[0]).toEqual(["rm", "-f", "hop3-my-app-web-1"]);
  });
});
