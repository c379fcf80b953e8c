import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Hop3Error, silentLogger, type CommandResult, type Logger, type OperationContext, type RunOptions } from "@hop3/core";
import { classifyNixFailure, stderrLines } from "../classify.js";
import { INSTALL_NIX_HINT, nixError } from "../errors.js";
import { trustedKeys, type NixBuilderMachine, type NixDistributedConfig } from "./config.js";

/** Where the store path of a build came from, as `hop3 deploy` reports it. */
export type NixOrigin = "built" | "built-remotely" | "substituted" | "present";

export interface RealiseOutcome {
  readonly storePath: string;
  readonly origin: NixOrigin;
  /** The builder that built it (origin "built-remotely"). */
  readonly builder?: string;
  /** The cache it was substituted from, or pushed to. */
  readonly cache?: string;
  readonly pushed: boolean;
}

/** The nix programs, and who runs them: Hop3 itself (a trusted Nix user), never the app's user. */
export interface RealiseContext {
  readonly run: OperationContext["run"];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  readonly appName: string;
  readonly timeoutMs: number;
  readonly programs: { readonly nixStore: string; readonly nix: string };
}

const NIX_COMMAND = ["--extra-experimental-features", "nix-command"];

/**
 * Realises the derivation the app's user evaluated, with the server's distributed settings:
 * substituted from the cache when the cache has it signed by a trusted key (a closure it has
 * unsigned or signed by another key is NIX_SIGNATURE_INVALID, before anything is fetched or run),
 * otherwise built on the remote builders (or here, when they are down and `fallback` is "local"),
 * then signed with Hop3's key and pushed to the cache.
 */
export async function realiseDistributed(drv: string, config: NixDistributedConfig, context: RealiseContext): Promise<RealiseOutcome> {
  const ssh = sshSettings(config.builders.machines);
  try {
    const env = { ...context.env, ...ssh.env };
    const ctx = { ...context, env };
    const storePath = await outputOf(drv, ctx);
    if ((await nix(ctx, context.programs.nixStore, ["--check-validity", storePath], "checking the Nix store")).exitCode === 0) {
      context.logger.info(`${storePath} is already in this server's Nix store: nothing to build.`);
      return { storePath, origin: "present", pushed: false };
    }
    const keys = trustedKeys(config);
    const cached = config.cache !== undefined && (await inCache(storePath, config.cache, keys, ctx));
    const result = await nix(ctx, context.programs.nixStore, ["--realise", drv, ...realiseOptions(config, keys, ssh.builders)], `realising ${drv}`, {
      timeoutMs: context.timeoutMs,
      logger: context.logger,
    });
    const lines = stderrLines(result.stderr);
    const down = lines.filter((line) => line.startsWith("cannot build on '"));
    const unsigned = lines.find((line) => /is not signed by any of the keys in 'trusted-public-keys'/.test(line));
    if (unsigned !== undefined) throw signatureInvalid(storePath, config.cache ?? "a substituter", context.appName, unsigned);
    if (result.exitCode !== 0) {
      if (down.length > 0) throw builderDown(down, config, context.appName);
      throw classifyNixFailure({ stderr: result.stderr, exitCode: result.exitCode, appName: context.appName, step: "build" });
    }
    for (const line of down) context.logger.warn(`${line.replace(/^cannot build on /, "Builder ")}: built here instead (nix.builders.fallback is "local").`);
    const remote = lines.map((line) => /^building '[^']+' on '([^']+)'\.\.\.$/.exec(line)?.[1]).find((uri) => uri !== undefined);
    const built = lines.some((line) => line.startsWith("building '"));
    const fetched = lines.some((line) => line.startsWith(`copying path '${storePath}' from '`));
    if (!built && (fetched || cached)) {
      context.logger.info(`Substituted ${storePath} from ${config.cache}: nothing was built.`);
      return { storePath, origin: "substituted", ...(config.cache !== undefined && { cache: config.cache }), pushed: false };
    }
    const origin: NixOrigin = remote !== undefined ? "built-remotely" : "built";
    context.logger.info(remote !== undefined ? `Built ${storePath} on ${remote}.` : `Built ${storePath} here.`);
    const pushed = config.cache !== undefined && config.signingKey !== undefined && (await signAndPush(storePath, config.cache, config.signingKey, ctx));
    return { storePath, origin, ...(remote !== undefined && { builder: remote }), ...(config.cache !== undefined && { cache: config.cache }), pushed };
  } finally {
    ssh.cleanup();
  }
}

/** The options of `nix-store --realise`: the cache as an extra substituter, the trusted keys, the builders. */
export function realiseOptions(config: NixDistributedConfig, keys: readonly string[], builders: string): string[] {
  const options = ["--option", "require-sigs", "true"];
  if (config.cache !== undefined) options.push("--option", "extra-substituters", config.cache);
  if (keys.length > 0) options.push("--option", "extra-trusted-public-keys", keys.join(" "));
  if (builders !== "") {
    options.push("--builders", builders, "--option", "builders-use-substitutes", "true");
    // No local build slot: a derivation builds on a builder or not at all.
    if (config.builders.fallback === "fail") options.push("--max-jobs", "0");
  }
  return options;
}

/**
 * Nix's machine lines (`URI SYSTEMS SSH-KEY MAX-JOBS SPEED FEATURES MANDATORY HOST-KEY`, `-` for a
 * default), `;`-separated; the host key base64-encoded as Nix wants it.
 */
export function builderLines(machines: readonly NixBuilderMachine[]): string {
  return machines
    .map((machine) =>
      [
        machine.uri,
        machine.systems.length > 0 ? machine.systems.join(",") : "-",
        machine.sshKey ?? "-",
        String(machine.maxJobs),
        "-",
        "-",
        "-",
        machine.hostKey !== undefined ? Buffer.from(machine.hostKey).toString("base64") : "-",
      ].join(" "),
    )
    .join(";");
}

/**
 * How nix's ssh reaches the builders: in batch mode with a connect time-out (a builder that is down
 * is found in seconds, never prompts), and through an ssh config of Hop3's for the builders that
 * listen on another port than 22 (Nix's URIs carry no port). The host key Nix is given is written
 * for the bare host, hence `HostKeyAlias`.
 */
export function sshSettings(machines: readonly NixBuilderMachine[]): { builders: string; env: Record<string, string>; cleanup(): void } {
  const withPort = machines.filter((machine) => machine.port !== undefined);
  const options = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"];
  let dir: string | undefined;
  if (withPort.length > 0) {
    dir = mkdtempSync(join(tmpdir(), "hop3-nix-ssh-"));
    const file = join(dir, "ssh_config");
    const blocks = withPort.map((machine) => {
      const host = machine.uri.replace(/^[a-z-]+:\/\/([^@]*@)?/, "");
      return `Host ${host}\n  Port ${machine.port}\n  HostKeyAlias ${host}\n`;
    });
    writeFileSync(file, [...blocks, "Host *\n  Include ~/.ssh/config\n"].join("\n"), { mode: 0o600 });
    options.unshift("-F", file);
  }
  return {
    builders: builderLines(machines),
    env: { NIX_SSHOPTS: options.join(" ") },
    cleanup: () => dir !== undefined && rmSync(dir, { recursive: true, force: true }),
  };
}

/** The output path of the derivation (the last one, as nix-build prints them). */
async function outputOf(drv: string, context: RealiseContext): Promise<string> {
  const result = await nix(context, context.programs.nixStore, ["--query", "--outputs", drv], "reading the outputs of the derivation");
  const storePath = result.stdout.split("\n").map((line) => line.trim()).filter(Boolean).at(-1);
  if (result.exitCode !== 0 || storePath === undefined) {
    throw nixError("NIX_OUTPUT_UNEXPECTED", `nix-store could not tell the output of ${drv} for "${context.appName}".${result.stderr ? ` It said: ${result.stderr.trim()}` : ""}`, {
      details: { app: context.appName, drv },
    });
  }
  return storePath;
}

/**
 * Whether the cache has the closure, signed by a trusted key: `nix store verify --no-contents`
 * checks the signatures of what the cache holds without fetching it. A closure there that does not
 * verify is NIX_SIGNATURE_INVALID; a cache that does not answer is NIX_CACHE_UNREACHABLE.
 */
async function inCache(storePath: string, cache: string, keys: readonly string[], context: RealiseContext): Promise<boolean> {
  assertCacheReachable(cache, context.appName);
  const result = await nix(context, context.programs.nix, [...NIX_COMMAND, "store", "verify", "--no-contents", "-r", "--store", cache, "--option", "trusted-public-keys", keys.join(" "), storePath], `checking ${cache}`);
  if (result.exitCode === 0) return true;
  const lines = stderrLines(result.stderr);
  const untrusted = lines.find((line) => / is untrusted$/.test(line));
  if (untrusted !== undefined) throw signatureInvalid(storePath, cache, context.appName, untrusted);
  if (lines.some((line) => /^error: path '[^']+' is not valid$/.test(line))) return false;
  throw cacheUnreachable(cache, context.appName, result.stderr.trim());
}

/** A `file://` cache must exist: a missing directory is an unmounted share, not an empty cache (nix would create it). */
export function assertCacheReachable(cache: string, appName?: string): void {
  if (!cache.startsWith("file://")) return;
  const dir = fileURLToPath(cache.replace(/\?.*$/, ""));
  if (!existsSync(join(dir, "nix-cache-info"))) throw cacheUnreachable(cache, appName, `${dir} holds no binary cache (no nix-cache-info)`);
}

/** Signs the closure with Hop3's key and copies it to the cache. */
async function signAndPush(storePath: string, cache: string, keyFile: string, context: RealiseContext): Promise<boolean> {
  assertCacheReachable(cache, context.appName);
  const signed = await nix(context, context.programs.nix, [...NIX_COMMAND, "store", "sign", "--key-file", keyFile, "-r", storePath], `signing ${storePath}`);
  if (signed.exitCode !== 0) {
    throw nixError("NIX_SIGNING_FAILED", `nix could not sign ${storePath} with ${keyFile}: ${signed.stderr.trim()}`, { details: { app: context.appName, storePath, keyFile } });
  }
  const copied = await nix(context, context.programs.nix, [...NIX_COMMAND, "copy", "--to", cache, storePath], `pushing ${storePath} to ${cache}`, { timeoutMs: context.timeoutMs });
  if (copied.exitCode !== 0) throw cacheUnreachable(cache, context.appName, copied.stderr.trim());
  context.logger.info(`Signed ${storePath} and pushed it to ${cache}.`);
  return true;
}

async function nix(context: RealiseContext, program: string, args: readonly string[], purpose: string, options: RunOptions = {}): Promise<CommandResult> {
  try {
    return await context.run(program, args, {
      env: context.env,
      extendEnv: false,
      timeoutMs: 120_000,
      allowFailure: true,
      notFoundHint: INSTALL_NIX_HINT,
      purpose,
      logger: silentLogger,
      ...(context.signal && { signal: context.signal }),
      ...options,
    });
  } catch (error) {
    if (Hop3Error.is(error) && error.code === "COMMAND_NOT_FOUND") throw nixError("NIX_NOT_INSTALLED", error.message, { cause: error, details: { app: context.appName, program } });
    throw error;
  }
}

const signatureInvalid = (storePath: string, cache: string, appName: string, said: string) =>
  nixError("NIX_SIGNATURE_INVALID", `The binary cache ${cache} has ${storePath} for "${appName}" without a valid signature of a trusted key: it was refused, and nothing of it runs (${said.trim()}).`, {
    details: { app: appName, storePath, cache },
  });

const cacheUnreachable = (cache: string, appName: string | undefined, said: string) =>
  nixError("NIX_CACHE_UNREACHABLE", `The binary cache ${cache} could not be reached${appName !== undefined ? ` for "${appName}"` : ""}: ${said}`, {
    details: { ...(appName !== undefined && { app: appName }), cache },
  });

function builderDown(lines: readonly string[], config: NixDistributedConfig, appName: string) {
  return nixError("NIX_BUILDER_UNREACHABLE", `No remote builder could build "${appName}", and nix.builders.fallback is "${config.builders.fallback}":\n${lines.map((line) => `  ${line}`).join("\n")}`, {
    details: { app: appName, builders: config.builders.machines.map((machine) => machine.uri) },
  });
}
