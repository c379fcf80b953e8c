import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { sshAccessError } from "./errors.js";

/**
 * Where the system's nix-store lives (Debian's nix-bin, the multi-user installer's profile, NixOS):
 * root's own files, never a program found on a PATH the request could influence.
 */
const SYSTEM_NIX_STORE = ["/usr/bin/nix-store", "/nix/var/nix/profiles/default/bin/nix-store", "/run/current-system/sw/bin/nix-store"];

/**
 * Runs `nix-store --serve --write` as root on the ssh channel (this process's stdin and stdout):
 * the far side of `nix-copy-closure --to`, which imports the paths sent into the server's store.
 * Paths are only added, never replaced, and are taken unsigned: whoever sends them is trusted with
 * every app's builds (see resolveSshRequest: keys limited to apps never get here).
 */
export function serveNixStore(env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const program = SYSTEM_NIX_STORE.find((path) => existsSync(path));
  if (program === undefined) {
    throw sshAccessError("SSH_COMMAND_REFUSED", `Refused: this server has no system nix-store (${SYSTEM_NIX_STORE.join(", ")}), so it cannot receive store paths.`);
  }
  return new Promise((done, fail) => {
    const child = spawn(program, ["--serve", "--write"], { stdio: "inherit", env: env as NodeJS.ProcessEnv });
    child.on("error", fail);
    child.on("exit", (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}
