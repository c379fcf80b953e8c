import { join } from "node:path";
import { afterAll } from "vitest";
import { describeBuilderConformance } from "@hop3/testing";
import { createDockerBuilder } from "../src/index.js";
import { ensureDockerEngine, fixtureApp, FIXTURES, removeTemps } from "./helpers.js";

// The kit third-party authors run, against the real Docker engine: the Docker builder keeps its own contract.
describeBuilderConformance(createDockerBuilder(), {
  env: { ...process.env, DOCKER_HOST: ensureDockerEngine() },
  fixtures: {
    accepted: [fixtureApp("docker-web")],
    declined: [join(FIXTURES, "../local-apps/node-no-deps")],
    failing: [{ dir: fixtureApp("docker-syntax-error"), code: "DOCKERFILE_INVALID" }],
  },
});

afterAll(() => removeTemps());
