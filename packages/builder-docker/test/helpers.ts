import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { AppLimits, Router } from "@hop3/core";
import { testDeployContext } from "@hop3/test-support";

export { httpGet, freePort, caught, waitFor } from "@hop3/test-support";

export const FIXTURES = resolve(import.meta.dirname, "../../../test-fixtures/docker-apps");
const START_DOCKERD = resolve(import.meta.dirname, "../../../scripts/start-dockerd.sh");
/** Debian's busybox-static: the only program inside the fixture images. */
export const BUSYBOX = "/bin/busybox";

/**
 * The engine the tests use: DOCKER_HOST when it answers, else the private one the script starts
 * (and leaves running for the next test run, as CI does). Throws when there is none: a missing
 * engine fails these tests, it never skips them.
 */
export function ensureDockerEngine(): string {
  const given = process.env.DOCKER_HOST;
  if (given) {
    try {
      execFileSync("docker", ["version", "--format", "{{.Server.Version}}"], { stdio: "ignore", timeout: 15_000 });
      return given;
    } catch {
      // not answering: start the private one
    }
  }
  const output = execFileSync(START_DOCKERD, { encoding: "utf8", env: { ...process.env }, timeout: 120_000 });
  const match = /^export DOCKER_HOST=(\S+)$/m.exec(output);
  if (!match) throw new Error(`scripts/start-dockerd.sh printed no DOCKER_HOST:\n${output}`);
  return match[1]!;
}

const temps: string[] = [];

/**
 * A fresh, short directory (unix socket paths stay under their limit), removed by `removeTemps`.
 * Others may pass through it (0711): a HOP3_HOME inside it must be reachable by the app users.
 */
export function tempDir(prefix = "h3dk-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o711);
  temps.push(dir);
  return dir;
}

export function removeTemps(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A copy of a fixture app, named `name`, with the static busybox in its build context. */
export function fixtureApp(fixture: string, name = fixture, files: Record<string, string> = {}): string {
  const dir = join(tempDir(), name);
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  copyFileSync(BUSYBOX, join(dir, "busybox"));
  chmodSync(join(dir, "busybox"), 0o755);
  for (const [path, content] of Object.entries(files)) writeFileSync(join(dir, path), content);
  return dir;
}

/** A copy of test-fixtures/slow-apps/docker-slow (a RUN step that sleeps for minutes), with busybox. */
export function slowApp(name = "docker-slow"): string {
  const dir = join(tempDir(), name);
  cpSync(join(FIXTURES, "../slow-apps/docker-slow"), dir, { recursive: true });
  copyFileSync(BUSYBOX, join(dir, "busybox"));
  chmodSync(join(dir, "busybox"), 0o755);
  return dir;
}

/** What the deployer gets: the real command runner, a logger the test reads, the router, the app's limits. */
export const deployContext = (home: string, env: Readonly<Record<string, string | undefined>>, router: Router, appEnv: Readonly<Record<string, string>> = {}, limits?: AppLimits) =>
  testDeployContext(home, router, { env, appEnv, ...(limits !== undefined && { limits }) });

/** Runs the docker CLI against the tests' engine. */
export function docker(dockerHost: string, ...args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DOCKER_HOST: dockerHost } }).trim();
}

/** Names of every container (running or not) of an app, as labelled by the run command. */
export const containersOf = (dockerHost: string, app: string): string[] =>
  docker(dockerHost, "ps", "-a", "--filter", `label=hop3.app=${app}`, "--format", "{{.Names}}").split("\n").filter(Boolean);

/** Image references of an app. */
export const imagesOf = (dockerHost: string, app: string): string[] =>
  docker(dockerHost, "images", `hop3/${app}`, "--format", "{{.Repository}}:{{.Tag}}").split("\n").filter(Boolean);

