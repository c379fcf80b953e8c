import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { caught } from "@hop3/test-support";

export { caught };

/** The repository's fixtures, proven against the real nix-build. */
export const FIXTURES = resolve(import.meta.dirname, "..", "..", "..", "test-fixtures");

/**
 * The test stand-in for nixpkgs, in the Nix store (vitest's global setup adds it and puts it in
 * NIX_PATH): readable by every app user, wherever the repository is cloned.
 */
export const NIXPKGS_STAND_IN: string = process.env.HOP3_TEST_NIXPKGS ?? "(the global setup found no nix-store)";

/** A fresh temporary directory. */
export const tempDir = (prefix = "hop3-nix-"): string => mkdtempSync(join(tmpdir(), prefix));

/** Makes an app directory with the given files (path -> content) under a fresh temp dir. */
export function makeApp(files: Record<string, string>, name = "demo-app"): string {
  const dir = join(tempDir(), name);
  mkdirSync(dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** A random word, so a temp derivation is new to the store (never cached, never shared by tests). */
export const nonce = (): string => randomBytes(6).toString("hex");

/** The shell line that writes a valid runtime.json with one web worker. */
export const WRITE_RUNTIME_JSON = `mkdir -p $out/hop3; echo '{"workers": {"web": "sleep 1000"}}' > $out/hop3/runtime.json`;

/**
 * A builtins-only hop3.nix whose builder runs `script` with /bin/sh. The nonce is part of the
 * derivation, so each app made with a new one is a first build.
 */
export function derivationNix(script: string, id = nonce(), extra = ""): string {
  const escaped = script.replace(/''/g, "'''").replace(/\$\{/g, "''${");
  return `{
  package = derivation {
    name = "hop3-test-${id}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    nonce = "${id}";
    args = [ "-c" ''
${escaped}
'' ];
  };
${extra}}
`;
}

/** A fixture's expect.json. */
export const readExpect = <T>(dir: string): T => JSON.parse(readFileSync(join(dir, "expect.json"), "utf8")) as T;
