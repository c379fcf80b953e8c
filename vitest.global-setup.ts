import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { sweepStaleHop3Users } from "@hop3/test-support";

/**
 * Hop3 makes a system user per app (and a web user per HOP3_HOME) when it runs as root, as tests
 * in CI do. Users of homes that are gone are removed before and after the run.
 */
export function setup(): void {
  sweepStaleHop3Users();
  provideNixpkgsStandIn();
}

export function teardown(): void {
  sweepStaleHop3Users();
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
