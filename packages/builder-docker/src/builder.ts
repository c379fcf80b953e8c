import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findProgram, readAppFile, type AcceptResult, type AppSource, type BuildArtifact, type BuildContext, type Builder, type DiscardContext } from "@hop3/core";
import { BUILDER_NAME, dockerArtifact } from "./artifact.js";
import { classifyDockerFailure } from "./classify.js";
import { checkEngine, dockerHostOf, removeImage, runDocker, type DockerCommandContext } from "./docker-cli.js";
import { chooseContainerPort, exposedPorts } from "./dockerfile.js";
import { dockerError } from "./errors.js";
import { imageReference } from "./image.js";
import { resolveDockerOptions, type DockerBuilderOptions, type ResolvedDockerOptions } from "./options.js";
import { buildArguments, dockerAppSettings, dockerfilePath } from "./settings.js";

/**
 * Creates the Docker builder: it builds the app's Dockerfile with `docker build` against the
 * engine DOCKER_HOST names (or the CLI's default), tags the image `hop3/<app>:<release>`, and
 * hands an artifact whose `web` worker runs the container in the foreground. Options are
 * validated here, at once (OPTIONS_INVALID names the bad one).
 *
 * @example
 * const builder = createDockerBuilder({ timeoutSeconds: 600, network: "host" });
 */
export function createDockerBuilder(options?: DockerBuilderOptions): Builder {
  const settings = resolveDockerOptions(options);
  return {
    apiVersion: 1,
    name: BUILDER_NAME,
    description: "Builds the app's Dockerfile into an image and runs it as a supervised container",
    looksFor: "a Dockerfile",
    workersFrom: "the image: one web worker running its CMD",
    priority: settings.priority,
    usesToolchains: false,
    accept: ({ app, env }) => acceptApp(app, settings, env),
    // Whatever the app declares, the artifact is one web worker that runs the image (see dockerArtifact).
    preview: () => ({ workers: { web: "the image's CMD, in a container" }, isolation: "container" }),
    build: (context) => buildApp(context, settings),
    discard: (artifact, context) => discardImage(artifact, context, settings),
  };
}

/**
 * Side-effect free and cheap (a few stat calls): docker is looked for on PATH, never run, so an
 * engine that is down is only found at build time. An app with a Dockerfile on a machine without
 * docker is an error, not a silent fall-back to another builder.
 */
function acceptApp(app: AppSource, settings: ResolvedDockerOptions, env: Readonly<Record<string, string | undefined>>): AcceptResult {
  const chosen = app.config.builder;
  const path = dockerfilePath(app);
  const hasDockerfile = path !== undefined && isFile(path.absolute);
  const what = path?.name ?? "Dockerfile";
  if (chosen !== "auto" && chosen !== BUILDER_NAME) {
    return { accepted: false, reason: hasDockerfile ? `${what} found, but hop3.toml [build] builder is "${chosen}"` : "no Dockerfile" };
  }
  if (!hasDockerfile && chosen !== BUILDER_NAME) {
    // A [docker] section says the app is meant for Docker: a Dockerfile path it cannot use is an error, not a "no".
    if (app.config.toml.docker !== undefined) dockerAppSettings(app);
    return { accepted: false, reason: "no Dockerfile" };
  }
  requireDocker(settings.docker, env, app.name);
  return { accepted: true, reason: hasDockerfile ? `${what} found` : 'hop3.toml [build] builder is "docker"' };
}

async function buildApp(context: BuildContext, options: ResolvedDockerOptions): Promise<BuildArtifact> {
  const { app, logger } = context;
  const settings = dockerAppSettings(app);
  if (!isFile(settings.dockerfile)) {
    throw dockerError("DOCKERFILE_MISSING", `The Docker builder was chosen for "${app.name}", and ${settings.dockerfile} does not exist.`, {
      details: { app: app.name, dockerfile: settings.dockerfile },
    });
  }
  // The docker CLI runs as root and sends the Dockerfile to the engine, whose parse errors quote it:
  // a Dockerfile (or .dockerignore) that links out of the app (`-> /etc/shadow`) is refused before.
  const dockerfileText = readAppFile(app.dir, settings.dockerfile);
  const dockerignore = join(app.dir, ".dockerignore");
  if (isFile(dockerignore)) readAppFile(app.dir, dockerignore); // the CLI reads it too
  const docker = requireDocker(options.docker, context.env, app.name);
  const dockerHost = dockerHostOf(context.env);
  const command: DockerCommandContext = { op: context, appName: app.name, docker };
  const engine = await checkEngine(command);

  const image = imageReference(app.name, context.releaseId);
  const scratch = mkdtempSync(join(tmpdir(), "hop3-docker-"));
  try {
    const iidFile = join(scratch, "image-id");
    logger.info(`Building ${settings.dockerfileName} of "${app.name}" into ${image} (Docker engine ${engine}).`);
    const args = buildArguments(settings, { image, appName: app.name, iidFile, ...(options.network !== undefined && { network: options.network }) }, app.dir);
    const result = await runDocker(args, command, {
      cwd: app.dir,
      timeoutMs: options.timeoutSeconds * 1000,
      keepLines: 60,
      purpose: `the Docker build of "${app.name}"`,
    });
    if (result.exitCode !== 0) throw classifyDockerFailure({ lines: result.lastLines, exitCode: result.exitCode, appName: app.name, dockerHost });
    const imageId = readImageId(iidFile, app.name, result.lastLines);
    const exposed = exposedPorts(dockerfileText, settings.target);
    const { port, source } = chooseContainerPort(settings.port, exposed, options.defaultPort, settings.portSource);
    if ((source === "EXPOSE" || source === "default") && exposed.unresolved.length > 0) {
      logger.warn(`EXPOSE ${exposed.unresolved.join(" ")} in ${settings.dockerfileName} is not a plain port; set hop3.toml [docker] port if the app does not listen on ${port}.`);
    }
    logger.info(`Built ${image} (${imageId}); the container listens on port ${port} (${source}).`);
    return dockerArtifact({
      appName: app.name,
      appDir: app.dir,
      image,
      imageId,
      containerPort: port,
      portSource: source,
      dockerfile: settings.dockerfileName,
      docker,
      ...(dockerHost !== undefined && { dockerHost }),
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Removes the release's image tag; the engine deletes the image when no other release uses it. */
async function discardImage(artifact: BuildArtifact, context: DiscardContext, options: ResolvedDockerOptions): Promise<void> {
  const docker = findProgram(options.docker, context.env);
  if (docker === undefined) {
    context.logger.warn(`Image ${artifact.location} was left in place: ${options.docker} was not found on PATH.`);
    return;
  }
  // The engine that built the image, when the artifact says which.
  const dockerHost = typeof artifact.metadata.dockerHost === "string" ? artifact.metadata.dockerHost : undefined;
  const env = dockerHost === undefined ? context.env : { ...context.env, DOCKER_HOST: dockerHost };
  const removed = await removeImage(artifact.location, { op: { ...context, env }, appName: artifact.appName, docker });
  if (removed) context.logger.info(`Removed image ${artifact.location}.`);
}

function readImageId(file: string, appName: string, lastLines: readonly string[]): string {
  let id = "";
  try {
    id = readFileSync(file, "utf8").trim();
  } catch {
    // reported below
  }
  if (/^sha256:[0-9a-f]{64}$/.test(id)) return id;
  throw dockerError("DOCKER_BUILD_FAILED", `docker build of "${appName}" succeeded but wrote no image id (${id === "" ? "empty --iidfile" : `"${id}"`}).`, {
    details: { app: appName, lastLines: [...lastLines] },
  });
}

/** The absolute path of the docker CLI, or DOCKER_NOT_INSTALLED saying how to install it. */
function requireDocker(program: string, env: Readonly<Record<string, string | undefined>>, appName: string): string {
  const found = findProgram(program, env);
  if (found) return found;
  const missing = program.includes("/") ? `${program} is not an executable file` : `${program} was not found on PATH`;
  throw dockerError("DOCKER_NOT_INSTALLED", `"${appName}" is built with Docker, and ${missing}.`, { details: { app: appName, program, path: env.PATH ?? "" } });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
