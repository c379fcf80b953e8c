import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderRunCommand } from "../src/index.js";

/**
 * Runs the rendered command with a fake docker that records its arguments, one per line, and the
 * environment it was given: what the real CLI would see.
 */
function runWithFakeDocker(env: Record<string, string>, dockerHost?: string): { calls: string[][]; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), "hop3-fake-docker-"));
  const docker = join(dir, "docker");
  writeFileSync(docker, `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done >> ${dir}/calls\nprintf '\\n' >> ${dir}/calls\nenv -0 > ${dir}/env\n`);
  chmodSync(docker, 0o755);
  const command = renderRunCommand({ appName: "my-app", image: "hop3/my-app:r1", containerPort: 8080, docker, ...(dockerHost !== undefined && { dockerHost }) });
  execFileSync("/bin/sh", ["-c", command], { env: { PATH: "/usr/bin:/bin", HOME: "/root", ...env } });
  const calls = readFileSync(join(dir, "calls"), "utf8").split("\n").filter(Boolean).map((line) => line.split("\0").slice(0, -1));
  const seen = Object.fromEntries(readFileSync(join(dir, "env"), "utf8").split("\0").filter(Boolean).map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
  return { calls, env: seen };
}

describe("the web worker's command", () => {
  const assigned = { PORT: "41234", BIND_ADDRESS: "127.0.0.1", HOP3_INSTANCE: "my-app_web.2" };

  it("removes a leftover, then runs the container in the foreground with --rm --init, a name and the port", () => {
    const { calls } = runWithFakeDocker({ ...assigned });
    expect(calls[0]).toEqual(["rm", "-f", "hop3-my-app-web-2"]);
    const run = calls[1]!;
    expect(run.slice(0, 7)).toEqual(["run", "--rm", "--init", "--name", "hop3-my-app-web-2", "--label", "hop3.app=my-app"]);
    expect(run.join(" ")).toContain("-p 127.0.0.1:41234:8080");
    expect(run.slice(-3)).toEqual(["-e", "PORT=8080", "hop3/my-app:r1"]);
  });

  it("passes the app's variables by name only: values never become arguments", () => {
    const tricky = "a'b\"c $(touch /tmp/hop3-pwned) `x` ;|& *\nFAKE=1";
    const { calls, env } = runWithFakeDocker({ ...assigned, SECRET: tricky, GREETING: "hi", DOCKER_CONFIG: "/x", UWSGI_X: "1" });
    const run = calls[1]!;
    const names = run.flatMap((arg, i) => (run[i - 1] === "-e" ? [arg] : []));
    expect(names).toEqual(expect.arrayContaining(["SECRET", "GREETING", "HOP3_INSTANCE", "PORT=8080"]));
    for (const hidden of ["PATH", "HOME", "PORT", "BIND_ADDRESS", "DOCKER_CONFIG", "UWSGI_X"]) expect(names).not.toContain(hidden);
    expect(run.some((arg) => arg.includes("pwned"))).toBe(false);
    expect(env.SECRET).toBe(tricky);
  });

  it("names the engine that built the image", () => {
    const { calls } = runWithFakeDocker({ ...assigned }, "unix:///tmp/x y/docker.sock");
    expect(calls[1]!.slice(0, 3)).toEqual(["--host", "unix:///tmp/x y/docker.sock", "run"]);
  });

  it("falls back to instance 1 when HOP3_INSTANCE is not set", () => {
    const { calls } = runWithFakeDocker({ PORT: "1", BIND_ADDRESS: "127.0.0.1" });
    expect(calls[0]).toEqual(["rm", "-f", "hop3-my-app-web-1"]);
  });
});
