import {
  formatLastLines,
  Hop3Error,
  isValidEnvName,
  silentLogger,
  type CommandResult,
  type CommandRunner,
  type Logger,
  type OperationContext,
  type RunOptions,
} from "@hop3/core";
import { buildLogTail, classifyNixFailure } from "./classify.js";
import { INSTALL_NIX_HINT, nixError } from "./errors.js";
import { NIX_FILE, nixArguments, type NixBuildSettings } from "./settings.js";

/** What the nix commands of one build need: who runs them, with what, and for which app. */
export interface NixCommandContext {
  /** Runs nix-build and nix-instantiate: as the app's user when Hop3 is root, else as the user running Hop3. */
  readonly run: CommandRunner;
  /** The variables given to them (on top of the app user's own PATH, HOME... when run as the app's user). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly appName: string;
  /** The directory `hop3 deploy` was given: nix's messages name it rather than the copy nix reads. */
  readonly appDir: string;
  readonly settings: NixBuildSettings;
}

/** A /nix/store path and its parts; the hash is Nix's base-32 (no e, o, u, t). */
const STORE_PATH = /^\/nix\/store\/([0-9a-df-np-sv-z]{32})-[^/\s]+$/;

/** The hash part of a store path, or undefined when the text is not one. */
export const storeHash = (path: string): string | undefined => STORE_PATH.exec(path)?.[1];

/** What nix-build produced: the store path, and the derivation when nix built it (not when it was cached). */
export interface NixBuildOutput {
  readonly storePath: string;
  readonly drv?: string;
}

/**
 * Runs `nix-build hop3.nix -A package --no-out-link` in the app directory, its log streamed as build
 * progress, and returns the store path it printed last.
 */
export async function runNixBuild(nixBuild: string, context: NixCommandContext): Promise<NixBuildOutput> {
  const args = [NIX_FILE, "-A", "package", "--no-out-link", ...nixArguments(context.settings)];
  const result = await runNix(nixBuild, args, context, { purpose: `the Nix build of "${context.appName}"` });
  if (result.exitCode !== 0) throw classifyNixFailure({ stderr: shownPaths(result.stderr, context), exitCode: result.exitCode, appName: context.appName, step: "build" });

  const printed = result.stdout.split("\n").map((line) => line.trim()).filter(Boolean);
  const storePath = printed.at(-1);
  if (storePath === undefined) {
    throw nixError("NIX_OUTPUT_UNEXPECTED", `nix-build ${NIX_FILE} -A package printed no store path for "${context.appName}": "package" evaluated to something that is not a derivation.`, {
      details: { app: context.appName, stdout: result.stdout },
    });
  }
  if (storeHash(storePath) === undefined) {
    throw nixError("NIX_OUTPUT_UNEXPECTED", `nix-build ${NIX_FILE} -A package printed "${storePath}" for "${context.appName}", which is not a /nix/store path.`, {
      hint: "Hop3 needs the Nix store at /nix/store; check NIX_STORE_DIR and the nixBuild option, and that `package` is a single derivation.",
      details: { app: context.appName, stdout: result.stdout },
    });
  }
  if (printed.length > 1) context.logger.warn(`nix-build printed ${printed.length} store paths; Hop3 uses the last one, ${storePath}.`);
  const drv = builtDerivation(result.stderr, storePath);
  return { storePath, ...(drv !== undefined && { drv }) };
}

/**
 * Runs `nix-instantiate hop3.nix -A package`: evaluation only, as the app's user, with the same
 * restrictions as nix-build. Returns the .drv that Hop3 then realises itself (remote builders and
 * the binary cache are settings only a trusted Nix user may use).
 */
export async function runNixInstantiate(nixInstantiate: string, context: NixCommandContext): Promise<string> {
  const args = [NIX_FILE, "-A", "package", ...nixArguments(context.settings)];
  const result = await runNix(nixInstantiate, args, context, { purpose: `evaluating hop3.nix of "${context.appName}"` });
  if (result.exitCode !== 0) throw classifyNixFailure({ stderr: shownPaths(result.stderr, context), exitCode: result.exitCode, appName: context.appName, step: "build" });
  const drv = result.stdout.split("\n").map((line) => line.trim()).filter(Boolean).at(-1);
  if (drv === undefined || !/^\/nix\/store\/[0-9a-df-np-sv-z]{32}-[^/\s]+\.drv$/.test(drv)) {
    throw nixError("NIX_OUTPUT_UNEXPECTED", `nix-instantiate ${NIX_FILE} -A package printed no derivation for "${context.appName}": "package" evaluated to something that is not a derivation.`, {
      details: { app: context.appName, stdout: result.stdout },
    });
  }
  return drv;
}

/**
 * The .drv of the store path, read from nix's "building '....drv'..." line: free, where asking
 * `nix-store --query --deriver` would cost a process per build. Absent when nothing was built.
 */
export function builtDerivation(stderr: string, storePath: string): string | undefined {
  const name = storePath.slice("/nix/store/".length + 33);
  return stderr
    .split("\n")
    .map((line) => /^building '(\/nix\/store\/[0-9a-df-np-sv-z]{32}-(.+)\.drv)'\.\.\.$/.exec(line.trim()))
    .filter((match) => match?.[2] === name)
    .at(-1)?.[1];
}

/**
 * Reads the optional `env` attribute of hop3.nix without building anything. `--strict` makes nix
 * evaluate computed values, which plain `--eval --json` refuses ("cannot convert a thunk to JSON").
 */
export async function readNixEnv(nixInstantiate: string, context: NixCommandContext): Promise<Record<string, string>> {
  const args = ["--eval", "--json", "--strict", NIX_FILE, "-A", "env", ...nixArguments(context.settings)];
  // Its output is data, not build progress: keep it out of the build log, but let warnings through.
  const { logger } = context;
  const quiet: Logger = {
    info: (message) => logger.info(message),
    warn: (message) => logger.warn(message),
    debug: (message) => logger.debug(message),
    output: (line) => {
      if (line.stream === "stderr") logger.debug(line.text);
    },
  };
  const result = await runNix(nixInstantiate, args, context, { purpose: `reading the env of "${context.appName}"`, logger: quiet });
  if (result.exitCode !== 0) {
    if (result.stderr.includes("error: attribute 'env' in selection path 'env' not found")) return {};
    throw classifyNixFailure({ stderr: shownPaths(result.stderr, context), exitCode: result.exitCode, appName: context.appName, step: "env" });
  }
  return parseNixEnv(result.stdout, context.appName);
}

/** Checks that `env` evaluated to an attribute set of strings with valid variable names. */
export function parseNixEnv(json: string, appName: string): Record<string, string> {
  const fail = (why: string) => nixError("NIX_ENV_INVALID", `The "env" attribute of hop3.nix of "${appName}" ${why}.`, { details: { app: appName, value: json } });
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw fail(`could not be read as JSON (nix-instantiate printed ${JSON.stringify(json.slice(0, 200))})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw fail(`must be an attribute set, not ${value === null ? "null" : Array.isArray(value) ? "a list" : `a ${typeof value}`}`);
  }
  for (const [name, item] of Object.entries(value)) {
    if (!isValidEnvName(name)) throw fail(`has "${name}", which is not a valid environment variable name`);
    if (typeof item !== "string") throw fail(`has ${name} = ${JSON.stringify(item)}, which is not a string (write ${name} = "${typeof item === "object" ? "..." : String(item)}";)`);
  }
  return value as Record<string, string>;
}

/**
 * Adds `--indirect` GC root `link` for `storePath`, so the closure survives garbage collection. Run
 * by Hop3 itself (`op.run`, root on a server): the link is in a directory only Hop3 writes.
 */
export async function addGcRoot(nixStore: string, link: string, storePath: string, op: Pick<OperationContext, "run" | "env">, appName: string): Promise<void> {
  const result = await op.run(nixStore, ["--add-root", link, "--indirect", "-r", storePath], {
    env: op.env,
    extendEnv: false,
    timeoutMs: 60_000,
    allowFailure: true,
    notFoundHint: INSTALL_NIX_HINT,
    purpose: `adding a GC root for "${appName}"`,
    logger: silentLogger,
  });
  if (result.exitCode !== 0) {
    throw nixError("NIX_GC_ROOT_FAILED", `nix-store could not add the GC root ${link} for ${storePath}.${formatLastLines(result.lastLines)}`, {
      details: { app: appName, link, storePath, exitCode: result.exitCode },
    });
  }
}

/** nix names the files it read, in the copy of the sources: show the app directory the user knows instead. */
export const shownPaths = (text: string, context: NixCommandContext): string =>
  context.settings.cwd === context.appDir ? text : text.replaceAll(context.settings.cwd, context.appDir);

/**
 * Every nix command of the build goes through the context's runner, in the copy of the sources,
 * with the context's environment and the build's time limit. Failures come back as results to be
 * classified; a time limit becomes NIX_BUILD_TIMEOUT.
 */
export async function runNix(program: string, args: readonly string[], context: NixCommandContext, options: RunOptions): Promise<CommandResult> {
  const { settings } = context;
  try {
    return await context.run(program, args, {
      cwd: settings.cwd,
      env: context.env,
      extendEnv: false,
      timeoutMs: settings.timeoutMs,
      allowFailure: true,
      notFoundHint: INSTALL_NIX_HINT,
      ...options,
    });
  } catch (error) {
    if (!Hop3Error.is(error)) throw error;
    if (error.code === "COMMAND_TIMEOUT") {
      // Nix's progress lines and its "interrupted" line say nothing about where the build hung.
      const lines = buildLogTail(((error.details.lastLines as string[] | undefined) ?? []).map((line) => shownPaths(line, context))).filter((line) => line !== "error: interrupted by the user");
      const seconds = Math.round(settings.timeoutMs / 100) / 10;
      const what = options.purpose ?? `\`${[program, ...args].join(" ")}\``;
      const log = lines.length > 0 ? `\nLast lines of the build log:\n${lines.map((line) => `  ${line}`).join("\n")}` : "";
      throw nixError("NIX_BUILD_TIMEOUT", `Stopped ${what} after ${seconds} s, its time limit.${log}`, {
        cause: error,
        details: { app: context.appName, timeoutMs: settings.timeoutMs, lastLines: lines },
      });
    }
    if (error.code === "COMMAND_NOT_FOUND") {
      throw nixError("NIX_NOT_INSTALLED", error.message, { cause: error, details: { app: context.appName, program } });
    }
    throw error;
  }
}
