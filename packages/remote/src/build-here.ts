import { existsSync } from "node:fs";
import { join } from "node:path";
import { Hop3Error, runCommand, type CliIO, type Logger, type StepReporter } from "@hop3/core/cli";
import { remoteError } from "./errors.js";
import type { Remote } from "./remotes.js";
import type { SshSession } from "./ssh.js";

/** A store path as nix-build prints one (Nix's base-32 hash: no e, o, u, t). */
const STORE_PATH = /^\/nix\/store\/[0-9a-df-np-sv-z]{32}-[^/\s]+$/;

/**
 * Builds the app on this machine exactly as the server's Nix builder does, `nix-build hop3.nix -A
 * package --no-out-link` in the app directory, as the developer, and returns the store path it printed.
 */
export async function buildHere(dir: string, io: CliIO, reporter: StepReporter): Promise<string> {
  return reporter.step("build here with nix", async (logger) => {
    if (!existsSync(join(dir, "hop3.nix"))) throw remoteError("BUILD_HERE_FAILED", `${dir} has no hop3.nix: --build-here builds an app's hop3.nix with Nix on this machine.`, { details: { dir } });
    const result = await runNix("nix-build", ["hop3.nix", "-A", "package", "--no-out-link"], { cwd: dir, env: io.env, signal: io.signal, logger });
    if (result.exitCode !== 0) throw remoteError("BUILD_HERE_FAILED", `nix-build failed here (exit ${result.exitCode}):${lastLines(result.lastLines)}`, { details: { dir, exitCode: result.exitCode } });
    const storePath = result.stdout.trim().split("\n").at(-1)?.trim() ?? "";
    if (!STORE_PATH.test(storePath)) throw remoteError("BUILD_HERE_FAILED", `nix-build printed ${JSON.stringify(storePath.slice(0, 200))}, not a /nix/store path: hop3.nix's package must be one derivation.`, { details: { dir } });
    return storePath;
  }, (path) => path);
}

/**
 * Copies the store path and its closure to the server with Nix's own tool, `nix-copy-closure --to`,
 * as a session of the command's SSH connection (NIX_SSHOPTS): same login, same host key checks. On
 * the server it runs `nix-store --serve --write`, which a deploy key runs only for a key not limited to apps.
 */
export async function copyClosure(session: SshSession, remote: Remote, storePath: string, io: CliIO, reporter: StepReporter): Promise<void> {
  await reporter.step(`copy to ${remote.name}`, async (logger) => {
    // Nix splits NIX_SSHOPTS on spaces: a word holding one (a config file's path) cannot pass.
    const spaced = session.sshOptions.find((word) => /\s/.test(word));
    if (spaced !== undefined) throw remoteError("BUILD_HERE_COPY_FAILED", `nix-copy-closure cannot be given the ssh option ${JSON.stringify(spaced)}: Nix splits NIX_SSHOPTS on spaces.`, { details: { remote: remote.name } });
    const env = { ...io.env, NIX_SSHOPTS: session.sshOptions.join(" ") };
    const result = await runNix("nix-copy-closure", ["--to", session.host, storePath], { env, signal: io.signal, logger });
    if (result.exitCode !== 0) {
      throw remoteError("BUILD_HERE_COPY_FAILED", `nix-copy-closure could not copy ${storePath} to ${remote.name} (exit ${result.exitCode}):${lastLines(result.lastLines)}`, {
        details: { remote: remote.name, storePath, exitCode: result.exitCode },
      });
    }
  });
}

async function runNix(program: string, args: readonly string[], options: { cwd?: string; env: CliIO["env"]; signal: AbortSignal; logger: Logger }) {
  try {
    return await runCommand(program, args, { ...options, extendEnv: false, allowFailure: true, keepLines: 15 });
  } catch (error) {
    if (Hop3Error.is(error) && error.code === "COMMAND_NOT_FOUND") {
      throw remoteError("BUILD_HERE_FAILED", `${program} is not installed on this machine: --build-here builds with Nix here.`, { cause: error, details: { program } });
    }
    throw error;
  }
}

const lastLines = (lines: readonly string[]): string => (lines.length === 0 ? " no output" : `\n${lines.map((line) => `  ${line}`).join("\n")}`);
