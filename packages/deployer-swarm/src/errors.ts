import { defineErrors } from "@hop3/core";

/**
 * Every code raised by @hop3/deployer-swarm. Codes are never renamed; each has a page under
 * docs/errors/<CODE>.md.
 */
export const { catalog: swarmErrorCatalog, error: swarmError } = defineErrors({
  SWARM_NOT_MANAGER: {
    title: "The Docker engine Hop3 drives is not a Swarm manager",
    hint: "Run Hop3 against a manager node (DOCKER_HOST), or make this engine one: `docker swarm init --advertise-addr <address>` (Hop3 does it by itself on an engine in no swarm at all).",
  },
  SWARM_ARTIFACT_UNSUPPORTED: {
    title: "The Swarm deployer cannot run this artifact",
    hint: "The Swarm deployer runs container images (apps built by the Docker builder) and, for an app that asks for it (`[run] deployer = \"swarm\"`), Nix closures. Build the app with Docker or Nix, or deploy it with another deployer.",
  },
  SWARM_NIX_NO_SHELL: {
    title: "The Nix closure has no shell to run the app's workers",
    hint: "A worker's command (runtime.json) is a shell command line, run in the image by a shell of the closure: add one to the package's inputs (nixpkgs' bash, or busybox with a bin/sh link), or deploy the app with another deployer.",
  },
  SWARM_RUNNER_BUILD_FAILED: {
    title: "Hop3 could not build hop3-run, the program it adds to the app's image",
    hint: "Install Go (`apt-get install golang-go`) or give its path in the deployer's `go` option; the message shows what `go build` said.",
  },
  SWARM_IMAGE_BUILD_FAILED: {
    title: "Hop3 could not build the service image from the app's image",
    hint: "Read the lines shown: the app's image must exist on the engine (`docker image ls`) and declare what it runs (ENTRYPOINT or CMD).",
  },
  SWARM_REGISTRY_UNREACHABLE: {
    title: "The registry the Swarm nodes pull from did not take the image",
    hint: "Start the registry the nodes pull from (Debian: `docker-registry serve <config>`) or fix its address (the deployer's `registry` option, HOP3_SWARM_REGISTRY); nothing changed on the swarm, the running release keeps serving.",
  },
  SWARM_REGISTRY_START_FAILED: {
    title: "Hop3 could not start its registry, which the Swarm nodes pull from",
    hint: "Install Debian's registry (`apt-get install docker-registry`; `hop3 setup` does), read <HOP3_HOME>/swarm/registry/registry.log, or name a registry of your own (the deployer's `registry` option, HOP3_SWARM_REGISTRY). Nothing changed on the swarm.",
  },
  SWARM_UPDATE_ROLLED_BACK: {
    title: "The new release did not pass its health check: Swarm rolled the service back",
    hint: "The release that served still serves. Read `hop3 logs <app>`: the new tasks did not answer the health check ([healthcheck] path) within [run] start-timeout.",
  },
  SWARM_UPDATE_PAUSED: {
    title: "The Swarm rolling update stopped half-way",
    hint: "Swarm paused the update (a node lost, or tasks failing while rolling back); `docker service ps <service>` shows why. Fix it, then deploy again or `hop3 rollback`.",
  },
  SWARM_NODE_LOST: {
    title: "A swarm node was lost during the rolling update",
    hint: "The release that served still serves on the nodes left. Bring the node back (`docker node ls` shows it Down) or take it out of the swarm (`docker node rm --force <node>`), then deploy again.",
  },
  SWARM_START_FAILED: {
    title: "The app's services did not start within their time",
    hint: "Read `hop3 logs <app>`: the tasks must answer the health check within [run] start-timeout. Nothing is left running of the failed release.",
  },
  SWARM_APP_NOT_DEPLOYED: {
    title: "The Swarm deployer has not deployed this app",
    hint: "Deploy the app first (`hop3 deploy`).",
  },
  SWARM_COMMAND_FAILED: {
    title: "A docker command of the Swarm deployer failed",
    hint: "Read the lines shown; `docker service ls` and `docker service ps <service>` show the swarm's view. The engine must answer (DOCKER_HOST).",
  },
});

/** A code of @hop3/deployer-swarm. */
export type SwarmErrorCode = keyof typeof swarmErrorCatalog;
