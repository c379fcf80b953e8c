import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Healthcheck } from "@hop3/core";
import type { Docker } from "./docker.js";
import { swarmError } from "./errors.js";
import { digest, imageRepository, labelsOf, SECRET_PATH } from "./names.js";

/** What the service image adds to the app's image. */
export interface ServiceImageSpec {
  readonly app: string;
  /** The app's image, as the builder tagged it. */
  readonly baseImage: string;
  /** Its engine id, so a rebuilt image under the same tag makes a new service image. */
  readonly baseId: string;
  readonly containerPort: number;
  /** The release's health check ([healthcheck], else `/`), asked inside the container. */
  readonly check: Healthcheck;
  /** A declared check must answer 2xx/3xx; otherwise anything below 500 is up (as Hop3's gate). */
  readonly strict: boolean;
  readonly startTimeoutSeconds: number;
  readonly runner: { readonly path: string; readonly version: string };
  /** What the worker runs, instead of the image's ENTRYPOINT and CMD (a Nix app's worker command, through the closure's shell). */
  readonly command?: readonly string[];
  readonly registry?: string;
}

/**
 * The app's image with hop3-run added: its entry runs through `hop3-run exec`, which reads the
 * app's environment from the Swarm secret and then runs the image's own ENTRYPOINT and CMD as the
 * image's USER (kept), and a HEALTHCHECK that asks what Hop3's health gate asks. Built once per
 * (image, check, hop3-run); returns its reference.
 */
export async function ensureServiceImage(docker: Docker, spec: ServiceImageSpec): Promise<string> {
  const reference = `${imageRepository(spec.app, spec.registry)}:${digest(JSON.stringify([spec.baseId, spec.containerPort, spec.check, spec.strict, spec.startTimeoutSeconds, spec.runner.version, ...(spec.command ? [spec.command] : [])]))}`;
  if ((await docker.result(["image", "inspect", "--format", "{{.Id}}", reference], "inspecting the service image")).exitCode === 0) return reference;
  const config = await imageConfig(docker, spec.app, spec.baseImage);
  const command = spec.command ?? [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (command.length === 0) {
    throw swarmError("SWARM_IMAGE_BUILD_FAILED", `The image ${spec.baseImage} of ${spec.app} declares no ENTRYPOINT or CMD: nothing to run.`, { details: { app: spec.app } });
  }
  const seconds = (value: number): string => `${Math.max(1, Math.round(value))}s`;
  const url = `http://127.0.0.1:${spec.containerPort}${spec.check.path}`;
  const health = ["/hop3/run", "health", url, String(spec.check.timeoutSeconds ?? 5), spec.strict ? "strict" : "lax", ...(spec.check.contains !== undefined ? [spec.check.contains] : [])];
  // Exec forms only (JSON): no shell reads a value, and images FROM scratch have none.
  const dockerfile = [
    `FROM ${spec.baseImage}`,
    "COPY hop3-run /hop3/run",
    ...labelsOf(spec.app).map((label) => `LABEL ${label}`),
    `ENTRYPOINT ${JSON.stringify(["/hop3/run", "exec", SECRET_PATH, "--", ...command])}`,
    // ENTRYPOINT resets CMD: the whole command is in ENTRYPOINT already.
    "CMD []",
    `HEALTHCHECK --interval=${seconds(spec.check.intervalSeconds ?? 1)} --timeout=${seconds(spec.check.timeoutSeconds ?? 5)} --start-period=${seconds(spec.startTimeoutSeconds)} --retries=${Math.max(1, spec.check.retries ?? 3)} CMD ${JSON.stringify(health)}`,
    "",
  ].join("\n");
  await buildImage(docker, spec.app, reference, dockerfile, spec.runner.path);
  return reference;
}

/**
 * The app's edge: hop3-run alone (FROM scratch, as nobody), forwarding each connection to a live
 * task of the web service. It never changes with a release, so a rolling update never moves the
 * port nginx forwards to.
 */
export async function ensureEdgeImage(docker: Docker, app: string, runner: { path: string; version: string }, registry: string | undefined): Promise<string> {
  const reference = `${imageRepository(app, registry)}:edge-${runner.version}`;
  if ((await docker.result(["image", "inspect", "--format", "{{.Id}}", reference], "inspecting the edge image")).exitCode === 0) return reference;
  const dockerfile = ["FROM scratch", "COPY hop3-run /hop3/run", ...labelsOf(app).map((label) => `LABEL ${label}`), "USER 65534:65534", 'ENTRYPOINT ["/hop3/run", "forward"]', ""].join("\n");
  await buildImage(docker, app, reference, dockerfile, runner.path);
  return reference;
}

/** Pushes an image to the registry the nodes pull from; nothing on the swarm changes before it. */
export async function pushImage(docker: Docker, app: string, reference: string, registry: string): Promise<void> {
  const done = await docker.result(["push", "--quiet", reference], `pushing ${reference}`, 600_000);
  if (done.exitCode === 0) return;
  throw swarmError("SWARM_REGISTRY_UNREACHABLE", `The registry ${registry} did not take ${reference} (exit code ${done.exitCode}):\n${done.lastLines.map((line) => `  ${line}`).join("\n")}`, {
    details: { app, registry, reference, lastLines: [...done.lastLines] },
  });
}

interface ImageConfig {
  readonly Entrypoint?: string[] | null;
  readonly Cmd?: string[] | null;
  readonly User?: string;
}

async function imageConfig(docker: Docker, app: string, image: string): Promise<ImageConfig> {
  const done = await docker.result(["image", "inspect", "--format", "{{json .Config}}", image], `inspecting ${image}`);
  if (done.exitCode !== 0) {
    throw swarmError("SWARM_IMAGE_BUILD_FAILED", `The image ${image} of ${app} is not on the engine:\n${done.lastLines.map((line) => `  ${line}`).join("\n")}`, { details: { app, image } });
  }
  return JSON.parse(done.stdout) as ImageConfig;
}

async function buildImage(docker: Docker, app: string, reference: string, dockerfile: string, runner: string): Promise<void> {
  const context = mkdtempSync(join(tmpdir(), "hop3-swarm-"));
  try {
    copyFileSync(runner, join(context, "hop3-run"));
    chmodSync(join(context, "hop3-run"), 0o755);
    writeFileSync(join(context, "Dockerfile"), dockerfile);
    const done = await docker.result(["build", "--quiet", "--force-rm", "--tag", reference, context], `building ${reference}`, 600_000);
    if (done.exitCode !== 0) {
      throw swarmError("SWARM_IMAGE_BUILD_FAILED", `\`docker build\` of ${reference} failed (exit code ${done.exitCode}):\n${done.lastLines.map((line) => `  ${line}`).join("\n")}`, {
        details: { app, reference, lastLines: [...done.lastLines] },
      });
    }
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}
