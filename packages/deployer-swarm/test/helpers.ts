import { execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { BuildArtifact } from "@hop3/core";

import { freePort, httpGet, waitFor } from "@hop3/test-support";

export { caught, freePort, httpGet, processesUnder, testDeployContext, waitFor } from "@hop3/test-support";

const START_DOCKERD = resolve(import.meta.dirname, "../../../scripts/start-dockerd.sh");

/**
 * The private engine (started by the script when it does not answer), made a swarm manager.
 * `swarm init` only when it is in no swarm: the Docker builder's tests share this engine, and
 * plain `docker run` keeps working on a manager.
 */
export function ensureSwarmEngine(): string {
  const output = execFileSync(START_DOCKERD, { encoding: "utf8", env: { ...process.env }, timeout: 120_000 });
  const match = /^export DOCKER_HOST=(\S+)$/m.exec(output);
  if (!match) throw new Error(`scripts/start-dockerd.sh printed no DOCKER_HOST:\n${output}`);
  process.env.DOCKER_HOST = match[1]!;
  if (docker(["info", "--format", "{{.Swarm.LocalNodeState}}"]).trim() === "inactive") {
    try {
      docker(["swarm", "init", "--advertise-addr", "127.0.0.1"]);
    } catch (error) {
      // Another test file initialised it at the same moment.
      if (!/already part of a swarm/.test(String((error as { stderr?: string }).stderr ?? error))) throw error;
    }
  }
  return match[1]!;
}

/** `docker ARGS` against the test engine; its output. */
export function docker(args: readonly string[]): string {
  return execFileSync("docker", args, { encoding: "utf8", env: process.env, timeout: 300_000, stdio: ["ignore", "pipe", "pipe"] });
}

/** `docker ARGS` in clean-up, where one failure must not stop the rest; false when it failed. */
export function tryDocker(args: readonly string[]): boolean {
  try {
    docker(args);
    return true;
  } catch {
    return false;
  }
}

const temps: string[] = [];

export function tempDir(prefix = "h3sw-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o711);
  temps.push(dir);
  return dir;
}

export function removeTemps(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** How a test image serves. */
export interface TestImage {
  /** What `/` answers. */
  readonly version: string;
  /** The port busybox httpd listens on; a broken image listens elsewhere than it declares. */
  readonly listen?: number;
  readonly user?: string;
}

export const CONTAINER_PORT = 5000;

/**
 * An app image as the Docker builder leaves one (`hop3/<app>:<tag>`, labelled hop3.app): busybox
 * httpd FROM scratch, as user 1000, answering `/` with its version and `/cgi-bin/env` with its
 * environment (busybox httpd hands its own to CGI scripts).
 */
export function buildAppImage(app: string, tag: string, image: TestImage): string {
  const dir = tempDir();
  mkdirSync(join(dir, "www", "cgi-bin"), { recursive: true });
  copyFileSync("/bin/busybox", join(dir, "busybox"));
  chmodSync(join(dir, "busybox"), 0o755);
  writeFileSync(join(dir, "www", "index.html"), `${image.version}\n`);
  writeFileSync(join(dir, "www", "cgi-bin", "env"), '#!/bin/busybox sh\necho "Content-Type: text/plain"\necho\n/bin/busybox env\n/bin/busybox id -u\n', { mode: 0o755 });
  writeFileSync(
    join(dir, "Dockerfile"),
    [
      "FROM scratch",
      "COPY busybox /bin/busybox",
      "COPY www /www",
      `LABEL hop3.app=${app}`,
      `USER ${image.user ?? "1000"}`,
      'ENTRYPOINT ["/bin/busybox"]',
      `CMD ["httpd", "-f", "-p", "${image.listen ?? CONTAINER_PORT}", "-h", "/www"]`,
      "",
    ].join("\n"),
  );
  const reference = `hop3/${app}:${tag}`;
  docker(["build", "--quiet", "--network", "none", "--tag", reference, dir]);
  return reference;
}

/** The artifact the Docker builder hands over for an image. */
export function imageArtifact(app: string, image: string): BuildArtifact {
  const imageId = docker(["image", "inspect", "--format", "{{.Id}}", image]).trim();
  return {
    apiVersion: 1,
    kind: "docker-image",
    location: image,
    builder: "docker",
    appName: app,
    buildId: imageId,
    builtAt: new Date().toISOString(),
    metadata: { imageId, containerPort: CONTAINER_PORT, portSource: "test", dockerfile: "Dockerfile" },
    runtime: { workers: { web: `docker run ${image}` }, env: {}, path: [], workingDir: "/", isolation: "container" },
  };
}

/** Loopback requests through nginx, one after the other, each bounded and never retried, until stopped. */
export function loadThrough(get: () => Promise<{ status: number; body: string }>): { stop: () => Promise<{ ok: number; failed: string[]; bodies: Set<string> }> } {
  let running = true;
  const failed: string[] = [];
  const bodies = new Set<string>();
  let ok = 0;
  const loop = (async () => {
    while (running) {
      try {
        const answer = await get();
        if (answer.status === 200) {
          ok++;
          bodies.add(answer.body.trim());
        } else failed.push(`HTTP ${answer.status}`);
      } catch (error) {
        failed.push((error as Error).message);
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { ok, failed, bodies };
    },
  };
}

/**
 * Debian's docker-registry on a loopback port, as its own user, storing under `dir`: the registry
 * the nodes pull from. The engine pushes to 127.0.0.1 without an insecure-registry setting.
 */
export async function startRegistry(dir: string): Promise<{ address: string; catalog: () => Promise<string>; stop: () => Promise<void> }> {
  const port = await freePort();
  const data = join(dir, "registry");
  mkdirSync(data, { recursive: true });
  const uid = Number(execFileSync("id", ["-u", "docker-registry"], { encoding: "utf8" }).trim());
  chownSync(data, uid, -1);
  const config = join(dir, "registry.yml");
  writeFileSync(config, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${data}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`, { mode: 0o644 });
  const child = spawn("runuser", ["-u", "docker-registry", "--", "docker-registry", "serve", config], { stdio: "ignore" });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const address = `127.0.0.1:${port}`;
  const catalog = async () => (await httpGet(port, address, "/v2/_catalog")).body;
  await waitFor(async () => (await httpGet(port, address, "/v2/").catch(() => ({ status: 0 }))).status === 200, 30_000, "the registry to answer");
  return {
    address,
    catalog,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
