import { join } from "node:path";
import { afterAll } from "vitest";
import { describeBuilderConformance } from "@hop3/testing";
import { createDockerBuilder } from "../src/index.js";
import { ensureDockerEngine, fixtureApp, FIXTURES, removeTemps, slowApp } from "./helpers.js";

// The kit third-party authors run, against the real Docker engine: the Docker builder keeps its own contract.
describeBuilderConformance(createDockerBuilder(), {
  env: { ...process.env, DOCKER_HOST: ensureDockerEngine() },
  fixtures: {
    // Its own app name: lifecycle.integration.test.ts counts the images of docker-web, and the files run in parallel.
    accepted: [fixtureApp("docker-web", "docker-conformance")],
    declined: [join(FIXTURES, "../local-apps/node-no-deps")],
    failing: [{ dir: fixtureApp("docker-syntax-error"), code: "DOCKERFILE_INVALID" }],
    // A RUN step that sleeps for minutes: the half-way abort finds `docker build` running.
    cancellable: slowApp(),
  },
  abortAfterMs: 1_500,
});

afterAll(() => removeTemps());
