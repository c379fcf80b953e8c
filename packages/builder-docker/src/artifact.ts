import type { BuildArtifact } from "@hop3/core";
import type { PortSource } from "./dockerfile.js";
import { renderRunCommand } from "./run-command.js";

/** The builder's name, as written in hop3.toml `[build] builder`. */
export const BUILDER_NAME = "docker";
/** The kind of artifact this builder makes; a deployer must declare it to run it. */
export const ARTIFACT_KIND = "docker-image";

/** What the Docker build produced, gathered before it becomes an artifact. */
export interface DockerBuildResult {
  readonly appName: string;
  readonly appDir: string;
  /** `hop3/<app>:<release>`. */
  readonly image: string;
  /** The engine's image id (`sha256:...`). */
  readonly imageId: string;
  readonly containerPort: number;
  readonly portSource: PortSource;
  /** The Dockerfile, relative to the app directory. */
  readonly dockerfile: string;
  readonly docker: string;
  readonly dockerHost?: string;
}

/**
 * Describes the image for the deployer: one `web` worker that runs the container in the
 * foreground (see renderRunCommand), with `runtime.isolation: "container"`: the container is the
 * app's box, and the deployer hands the command the app's environment as a file and its limits as
 * variables instead of running it as the app's user. No environment of its own: the deployer's
 * env file carries the app's.
 */
export function dockerArtifact(result: DockerBuildResult): BuildArtifact {
  return {
    apiVersion: 1,
    kind: ARTIFACT_KIND,
    location: result.image,
    builder: BUILDER_NAME,
    appName: result.appName,
    buildId: result.imageId,
    builtAt: new Date().toISOString(),
    metadata: {
      imageId: result.imageId,
      containerPort: result.containerPort,
      portSource: result.portSource,
      dockerfile: result.dockerfile,
      ...(result.dockerHost !== undefined && { dockerHost: result.dockerHost }),
    },
    runtime: {
      workers: {
        web: renderRunCommand({
          appName: result.appName,
          image: result.image,
          containerPort: result.containerPort,
          docker: result.docker,
          ...(result.dockerHost !== undefined && { dockerHost: result.dockerHost }),
        }),
      },
      env: {},
      path: [],
      workingDir: result.appDir,
      isolation: "container",
    },
  };
}
