import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { sweepStaleHop3Users } from "@hop3/test-support";

/**
 * Projects whose setup ran and whose teardown has not. Global setup runs once per project, each
 * maybe in a module instance of its own: the count lives on globalThis.
 */
const projects = globalThis as { hop3ActiveTestProjects?: number };

/**
 * Hop3 makes a system user per app (and a web user per HOP3_HOME) when it runs as root, as tests
 * in CI do. Users of homes that are gone are removed before and after the run.
 */
export function setup(): void {
  // Each project (unit, integration) runs this, and a project's setup can come while the other's
  // tests run: the sweep is for the first setup and the last teardown only, when no test runs.
  projects.hop3ActiveTestProjects = (projects.hop3ActiveTestProjects ?? 0) + 1;
  if (projects.hop3ActiveTestProjects === 1) sweepStaleHop3Users();
  checkCheckoutReachable();
  provideNixpkgsStandIn();
}

/**
 * As root, app users run some tests' workers straight from this checkout's fixtures: every
 * directory above it must let others pass (`.ci/run` sees to it in CI). Said once, clearly, rather
 * than as a permission error deep in a test.
 */
function checkCheckoutReachable(): void {
  if (process.getuid?.() !== 0) return;
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw new Error(`${dir} does not let other users pass (chmod o+x ${dir}): Hop3 runs test apps as their own users, and they read fixtures from this checkout.`);
    }
  }
}

export function teardown(): void {
  projects.hop3ActiveTestProjects = (projects.hop3ActiveTestProjects ?? 1) - 1;
  if (projects.hop3ActiveTestProjects === 0) sweepStaleHop3Users();
}

/**
 * The spec-* fixtures `import <nixpkgs>`, which no channel provides here: the test stand-in is put
 * in the Nix store, where every app user may read it (the clone may be under /root), and given to
 * every test with NIX_PATH, as an operator gives nixpkgs to Hop3. Without Nix there is nothing to
 * do: the Nix tests then fail on their own.
 */
function provideNixpkgsStandIn(): void {
  let storePath: string;
  try {
    storePath = execFileSync("nix-store", ["--add", resolve(import.meta.dirname, "test-fixtures/nixpkgs-stand-in")], { encoding: "utf8" }).trim();
  } catch {
    return;
  }
  process.env.HOP3_TEST_NIXPKGS = storePath;
  process.env.NIX_PATH = [`nixpkgs=${storePath}`, process.env.NIX_PATH].filter(Boolean).join(":");
}
