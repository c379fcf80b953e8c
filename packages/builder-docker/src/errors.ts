import { defineErrors } from "@hop3/core";

/** How to get the docker CLI, shared by DOCKER_NOT_INSTALLED and the command-not-found path. */
export const INSTALL_DOCKER_HINT =
  "Install Docker: on Debian or Ubuntu `apt-get install docker.io` (the CLI and the engine); elsewhere see " +
  "https://docs.docker.com/engine/install/. Then make sure `docker` is on the PATH of the user running Hop3, " +
  "or give its full path in the builder's `docker` option.";

/** What to check when the engine does not answer. */
export const ENGINE_UNREACHABLE_HINT =
  "Start the Docker engine (`systemctl start docker`, or `dockerd` by hand), or point DOCKER_HOST at the engine " +
  "to use (e.g. DOCKER_HOST=unix:///run/docker.sock) in the environment of the user running Hop3; " +
  "`docker version` must show a Server section.";

/**
 * Every code raised by @hop3/builder-docker. Codes are never renamed; each has a page under
 * docs/errors/<CODE>.md.
 */
export const { catalog: dockerErrorCatalog, error: dockerError } = defineErrors({
  DOCKER_NOT_INSTALLED: {
    title: "The app needs Docker, and the docker command is not installed",
    hint: INSTALL_DOCKER_HINT,
  },
  DOCKER_ENGINE_UNREACHABLE: {
    title: "The docker command could not reach a Docker engine",
    hint: ENGINE_UNREACHABLE_HINT,
  },
  DOCKERFILE_MISSING: {
    title: "The Docker builder was chosen, and the app has no Dockerfile",
    hint: 'Add a Dockerfile at the root of the app, point hop3.toml [docker] dockerfile at it, or remove `builder = "docker"` from hop3.toml [build].',
  },
  DOCKERFILE_INVALID: {
    title: "The Dockerfile could not be parsed",
    hint: "Fix the line Docker names (an unknown instruction, a missing argument, an unclosed quote or `\\` continuation are the usual causes).",
  },
  DOCKER_CONFIG_INVALID: {
    title: "hop3.toml [docker] has a value the Docker builder cannot use",
    hint: "Fix the [docker] key the message names: `dockerfile` is a path inside the app, `target` a stage name of the Dockerfile, `build-args` names are letters, digits and `_`.",
  },
  DOCKER_BUILD_FAILED: {
    title: "docker build could not build the image",
    hint: "Read the last lines of the build output shown: they name the step that failed. Fix it and deploy again; `docker build .` in the app directory runs the same build.",
  },
  DOCKER_BUILD_TIMEOUT: {
    title: "The Docker build took longer than its time limit",
    hint: "Raise the builder's `timeoutSeconds` option, or find out why the build hangs (a RUN step waiting on the network or on input).",
  },
});

/** A code of @hop3/builder-docker. */
export type DockerErrorCode = keyof typeof dockerErrorCatalog;
