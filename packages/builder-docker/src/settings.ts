import { isAbsolute, relative, resolve } from "node:path";
import { isValidEnvName, type AppSource } from "@hop3/core";
import type { ConfiguredPortSource } from "./dockerfile.js";
import { dockerError } from "./errors.js";

/** The Dockerfile looked for when hop3.toml [docker] does not name one. */
export const DEFAULT_DOCKERFILE = "Dockerfile";

/** hop3.toml [docker], checked: what one build of one app uses. */
export interface DockerAppSettings {
  /** Absolute path of the Dockerfile, inside the app directory. */
  readonly dockerfile: string;
  /** The same, relative to the app directory, for messages and metadata. */
  readonly dockerfileName: string;
  readonly target?: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  /** The port hop3.toml names: [docker] port, [port] web or [web] port (core's `containerPort`). */
  readonly port?: number;
  readonly portSource?: ConfiguredPortSource;
}

const STAGE_NAME = /^[a-zA-Z][a-zA-Z0-9_.-]*$/;

/** The Dockerfile path an app's hop3.toml names, resolved; undefined when it leaves the app directory. */
export function dockerfilePath(app: AppSource): { absolute: string; name: string } | undefined {
  const name = app.config.toml.docker?.dockerfile ?? DEFAULT_DOCKERFILE;
  const absolute = resolve(app.dir, name);
  const inside = relative(app.dir, absolute);
  if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) return undefined;
  return { absolute, name: inside };
}

/** Reads and checks hop3.toml [docker]; DOCKER_CONFIG_INVALID names the bad key. */
export function dockerAppSettings(app: AppSource): DockerAppSettings {
  const section = app.config.toml.docker ?? {};
  const invalid = (key: string, why: string) =>
    dockerError("DOCKER_CONFIG_INVALID", `hop3.toml [docker] ${key} of "${app.name}" ${why}.`, { details: { app: app.name, key } });
  const path = dockerfilePath(app);
  if (path === undefined) throw invalid("dockerfile", `is "${section.dockerfile}", which is not a file inside the app directory`);
  if (section.target !== undefined && !STAGE_NAME.test(section.target)) throw invalid("target", `is "${section.target}", which is not a stage name (letters, digits, _ . -)`);
  const buildArgs = section["build-args"] ?? {};
  for (const name of Object.keys(buildArgs)) {
    if (!isValidEnvName(name)) throw invalid("build-args", `has "${name}", which is not a build argument name (letters, digits and _)`);
  }
  return {
    dockerfile: path.absolute,
    dockerfileName: path.name,
    ...(section.target !== undefined && { target: section.target }),
    buildArgs,
    ...(app.config.containerPort && { port: app.config.containerPort.port, portSource: app.config.containerPort.source }),
  };
}

/**
 * The arguments of `docker build`, in a stable order. Values travel as argv, never through a shell.
 * Only the app is labelled, not the release: a rebuild from cache then gives the same image id.
 */
export function buildArguments(settings: DockerAppSettings, options: { image: string; appName: string; iidFile: string; network?: string }, contextDir: string): string[] {
  return [
    "build",
    "--file",
    settings.dockerfile,
    "--tag",
    options.image,
    "--iidfile",
    options.iidFile,
    // The legacy builder keeps the container of a failed step otherwise.
    "--force-rm",
    "--label",
    `hop3.app=${options.appName}`,
    ...(settings.target !== undefined ? ["--target", settings.target] : []),
    ...Object.entries(settings.buildArgs).flatMap(([name, value]) => ["--build-arg", `${name}=${value}`]),
    ...(options.network !== undefined ? ["--network", options.network] : []),
    contextDir,
  ];
}
