import { statSync } from "node:fs";
import { dirname } from "node:path";
import { sweepStaleHop3Users } from "@hop3/test-support";

/**
 * Hop3 makes a system user per app (and a web user per HOP3_HOME) when it runs as root, as tests
 * in CI do. Users of homes that are gone are removed before and after the run.
 */
export function setup(): void {
  sweepStaleHop3Users();
  checkCheckoutReachable();
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
  sweepStaleHop3Users();
}
