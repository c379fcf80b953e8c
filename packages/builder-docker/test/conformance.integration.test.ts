import { join } from "node:path";
import { describeBuilderConformance } from "@hop3/testing";
import { createDockerBuilder } from "../src/index.js";
import { ensureDockerEngine, FIXTURES } from "./helpers.js";

// The kit third-party authors run, against the real Docker engine: the Docker builder keeps its own contract.
describeBuilderConformance(createDockerBuilder(), {
  env: { ...process.env, DOCKER_HOST: ensureDockerEngine() },
  fixtures: {
    accepted: [join(FIXTURES, "docker-web")],
    declined: [join(FIXTURES, "../local-apps/node-no-deps")],
    failing: [{ dir: join(FIXTURES, "docker-syntax-error"), code: "DOCKERFILE_INVALID" }],
  },
});
