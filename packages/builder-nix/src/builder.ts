import { statSync } from "node:fs";
import { join } from "node:path";
import { parseRuntimeJson, runAsUser, type AcceptResult, type Builder, type BuildContext } from "@hop3/core";
import { copyAppSources, sourceCopyDir } from "./app-dirs.js";
import { BUILDER_NAME, nixArtifact } from "./artifact.js";
import { daemonSocketPath, ensureNixDaemon } from "./daemon.js";
import { nixError } from "./errors.js";
import { gcRootPath, removeGcRoot } from "./gc-roots.js";
import { isDistributed, readNixConfig, type NixDistributedConfig } from "./distributed/config.js";
import { realiseDistributed, type NixOrigin } from "./distributed/realise.js";
import { readNixEnv, runNixBuild, runNixInstantiate, storeHash, type NixBuildOutput, type NixCommandContext } from "./nix-cli.js";
import { resolveNixOptions, type NixBuilderOptions, type ResolvedNixOptions } from "./options.js";
import { protect, readRuntimeJson, requireProgram } from "./package.js";
import { usePrebuilt } from "./prebuilt.js";
import { buildSettings, NIX_FILE, resolveSearchPath, serverNixPath } from "./settings.js";

/**
 * Creates the Nix builder of the specification: it builds `hop3.nix` with
 * `nix-build hop3.nix -A package --no-out-link`, reads `$out/hop3/runtime.json` and the optional
 * `env` attribute, and never uses language toolchains. Options are validated here, at once
 * (OPTIONS_INVALID names the bad one).
 *
 * @example
 * const builder = createNixBuilder({ timeoutSeconds: 600, include: ["nixpkgs=/srv/nixpkgs"] });
 */
export function createNixBuilder(options?: NixBuilderOptions): Builder {
  const settings = resolveNixOptions(options);
  return {
    apiVersion: 1,
    name: BUILDER_NAME,
    description: "Builds hop3.nix with nix-build into the Nix store (reproducible, no container)",
    looksFor: "a hop3.nix",
    workersFrom: "hop3/runtime.json of the package hop3.nix builds",
    priority: settings.priority,
    usesToolchains: false,
    accept: ({ app, env }) => acceptApp(app.dir, app.name, app.config.builder, settings, env),
    build: (context) => buildApp(context, settings),
    usePrebuilt: (context) => usePrebuilt(context, settings),
    async discard(artifact, context) {
      const link = artifact.metadata.gcRoot;
      if (typeof link === "string" && removeGcRoot(link, context.appStateDir)) context.logger.info(`Removed GC root ${link}.`);
    },
  };
}

/**
 * Side-effect free and cheap (a few stat calls): nix is looked for on PATH, never run. An app
 * that has a hop3.nix on a machine without Nix is an error, not a silent fall-back to another
 * builder that would deploy something else.
 */
function acceptApp(
  dir: string,
  appName: string,
  chosen: string,
  settings: ResolvedNixOptions,
  env: Readonly<Record<string, string | undefined>>,
): AcceptResult {
  const hasNixFile = isFile(join(dir, NIX_FILE));
  if (chosen !== "auto" && chosen !== BUILDER_NAME) {
    return { accepted: false, reason: hasNixFile ? `hop3.nix found, but hop3.toml [build] builder is "${chosen}"` : "no hop3.nix file found" };
  }
  if (!hasNixFile && chosen !== BUILDER_NAME) return { accepted: false, reason: "no hop3.nix file found" };
  requireProgram(settings.nixBuild, env, appName);
  return { accepted: true, reason: hasNixFile ? "hop3.nix found" : 'hop3.toml [build] builder is "nix"' };
}

async function buildApp(context: BuildContext, options: ResolvedNixOptions) {
  const { app, logger, appUser } = context;
  const nixFile = join(app.dir, NIX_FILE);
  if (!isFile(nixFile)) {
    throw nixError("NIX_FILE_MISSING", `The Nix builder was chosen for "${app.name}", and ${nixFile} does not exist.`, {
      details: { app: app.name, nixFile },
    });
  }
  const nixBuild = requireProgram(options.nixBuild, context.env, app.name);
  const nixInstantiate = requireProgram(options.nixInstantiate, context.env, app.name);
  const nixStore = options.gcRoots ? requireProgram(options.nixStore, context.env, app.name) : undefined;
  // Checked before anything is copied or started: a refused option or include changes nothing.
  const planned = buildSettings(app, options, sourceCopyDir(context.appStateDir, app.name));
  const distributed = readNixConfig(context.env);

  // Asking the daemon (a socket round trip) overlaps the copy; a copy that fails leaves it unused.
  const runner = nixRunner(context, options);
  runner.catch(() => undefined);
  const copy = copyAppSources(app, context.appStateDir, appUser);
  logger.info(`Copied the sources to ${copy.dir} (${copy.files} files, ${copy.copied} changed, ${copy.removed} removed).`);
  const settings = resolveSearchPath(app, planned);
  const command: NixCommandContext = { ...(await runner), logger, appName: app.name, appDir: app.dir, settings };

  const build = isDistributed(distributed)
    ? buildDistributed(nixInstantiate, command, distributed, context, options)
    : (logger.info(`Building ${nixFile} with nix-build${appUser.dedicated ? ` as ${appUser.name}` : ""}.`), runNixBuild(nixBuild, command));
  // Reading `env` is a separate evaluation; running it alongside the build costs no wall time.
  const [built, nixEnv] = await Promise.allSettled([build, readNixEnv(nixInstantiate, command)]);
  if (built.status === "rejected") throw built.reason;
  const { storePath, drv } = built.value;
  const origin = "origin" in built.value ? (built.value.origin as NixOrigin) : undefined;
  if (origin === undefined) logger.info(`Built ${storePath}.`);

  const runtimeFile = join(storePath, "hop3", "runtime.json");
  const { runtime, warnings } = parseRuntimeJson(readRuntimeJson(storePath, app.name), { file: runtimeFile, baseDir: storePath });
  for (const warning of warnings) logger.warn(warning);
  if (nixEnv.status === "rejected") throw nixEnv.reason;

  let gcRoot: string | undefined;
  if (nixStore) {
    gcRoot = gcRootPath(context.appStateDir, context.releaseId);
    await protect(nixStore, gcRoot, storePath, context, app.name);
    logger.info(`Kept ${storePath} from garbage collection with GC root ${gcRoot}.`);
  }

  return nixArtifact({
    appName: app.name,
    nixFile,
    storePath,
    storeHash: storeHash(storePath)!,
    runtime,
    nixEnv: nixEnv.value,
    ...(drv !== undefined && { drv }),
    ...(gcRoot !== undefined && { gcRoot }),
    ...(origin !== undefined && { origin }),
  });
}

/**
 * With remote builders or a binary cache configured: the app's user only evaluates hop3.nix (to a
 * .drv, with the same restrictions); Hop3 realises it, since Nix lets only a trusted user name
 * builders and substituters. The build itself still runs as Nix's build users, here or on a builder.
 */
async function buildDistributed(
  nixInstantiate: string,
  command: NixCommandContext,
  config: NixDistributedConfig,
  context: BuildContext,
  options: ResolvedNixOptions,
): Promise<NixBuildOutput & { origin: NixOrigin }> {
  context.logger.info(`Evaluating hop3.nix of "${context.app.name}"${context.appUser.dedicated ? ` as ${context.appUser.name}` : ""}; Hop3 then realises it with the server's builders and cache.`);
  const drv = await runNixInstantiate(nixInstantiate, command);
  const outcome = await realiseDistributed(drv, config, {
    run: context.run,
    env: context.env,
    logger: context.logger,
    signal: context.signal,
    appName: context.app.name,
    timeoutMs: command.settings.timeoutMs,
    programs: { nixStore: requireProgram(options.nixStore, context.env, context.app.name), nix: requireProgram(options.nix, context.env, context.app.name) },
  });
  return { storePath: outcome.storePath, origin: outcome.origin, ...(outcome.origin !== "present" && outcome.origin !== "substituted" && { drv }) };
}

/**
 * Who runs nix-build and nix-instantiate. Hop3 as root: the app's own user, without capabilities,
 * through the Nix daemon (the store is root's; the daemon builds as its nixbld users), with only
 * the Nix variables of Hop3's environment that matter to a build and no Nix configuration of the
 * app user's own (its HOME is the app's data, which the app writes). Otherwise (a single-user
 * install) the user running Hop3, with Hop3's environment, as before: it keeps apps from nothing
 * but what restricted evaluation keeps them from.
 */
async function nixRunner(context: BuildContext, options: ResolvedNixOptions): Promise<Pick<NixCommandContext, "run" | "env">> {
  const { env } = context;
  // The server's search path, given explicitly with its links resolved (see serverNixPath).
  if (!context.appUser.dedicated) return { run: context.run, env: { ...env, NIX_PATH: serverNixPath(env, env.HOME) } };
  const daemon = await ensureNixDaemon(context, { program: options.nixDaemon });
  const { logger, signal } = context;
  return {
    run: runAsUser(context.appUser, { env, logger, signal, extraGroups: daemon.groups }),
    env: {
      NIX_REMOTE: "daemon",
      ...(daemon.socket !== daemonSocketPath({}) && { NIX_DAEMON_SOCKET_PATH: daemon.socket }),
      // An empty list: no nix.conf of the app user's HOME, which the app itself writes.
      NIX_USER_CONF_FILES: "",
      NIX_PATH: serverNixPath(env, env.HOME),
      ...(env.NIX_CONFIG !== undefined && { NIX_CONFIG: env.NIX_CONFIG }),
    },
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
