import { join } from "node:path";
import { describeBuilderConformance } from "@hop3/testing";
import { builtinToolchains, createLocalBuilder } from "../src/index.js";
import { FIXTURES } from "./helpers.js";

// The kit third-party authors run, with the real toolchains: the Local builder keeps its own contract.
describeBuilderConformance(createLocalBuilder(), {
  toolchains: builtinToolchains(),
  fixtures: {
    accepted: [join(FIXTURES, "static-procfile"), join(FIXTURES, "node-no-deps"), join(FIXTURES, "python-empty-reqs")],
    declined: [join(FIXTURES, "no-marker")],
    failing: [
      { dir: join(FIXTURES, "failing-build"), code: "LOCAL_BUILD_FAILED" },
      { dir: join(FIXTURES, "missing-static-dir"), code: "LOCAL_STATIC_DIR_MISSING" },
    ],
    // Its build step sleeps for minutes: the half-way abort finds it running.
    cancellable: join(FIXTURES, "../slow-apps/local-slow"),
  },
});
