import { sweepStaleHop3Users } from "@hop3/test-support";

/**
 * Hop3 makes a system user per app (and a web user per HOP3_HOME) when it runs as root, as tests
 * in CI do. Users of homes that are gone are removed before and after the run.
 */
export function setup(): void {
  sweepStaleHop3Users();
}

export function teardown(): void {
  sweepStaleHop3Users();
}
