import { join } from "node:path";
import { describeBuilderConformance } from "@hop3/testing";
import { createNixBuilder } from "../src/index.js";
import { derivationNix, FIXTURES, makeApp, nonce, WRITE_RUNTIME_JSON } from "./helpers.js";

// The kit third-party authors run, on the real nix-build: the Nix builder keeps its own contract.
// A build that is still running when the kit cancels it.
const slow = makeApp({ "hop3.nix": derivationNix(`sleep 60; ${WRITE_RUNTIME_JSON}`, nonce()) }, "nix-slow");

describeBuilderConformance(createNixBuilder(), {
  fixtures: {
    accepted: [join(FIXTURES, "apps/nix-static"), join(FIXTURES, "apps/nix-web")],
    declined: [join(FIXTURES, "local-apps/node-no-deps"), join(FIXTURES, "docker-apps/docker-web")],
    failing: [
      { dir: join(FIXTURES, "broken/nix-syntax-error"), code: "NIX_SYNTAX_ERROR" },
      { dir: join(FIXTURES, "broken/nix-no-runtime-json"), code: "NIX_RUNTIME_JSON_MISSING" },
    ],
    cancellable: slow,
  },
  abortAfterMs: 1_000,
});
