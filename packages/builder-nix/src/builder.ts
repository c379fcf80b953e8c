import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { findProgram, parseRuntimeJson, type AcceptResult, type Builder, type BuildContext } from "@hop3/core";
import { BUILDER_NAME, nixArtifact } from "./artifact.js";
import { nixError } from "./errors.js";
import { gcRootPath, prepareGcRoot, removeGcRoot } from "./gc-roots.js";
import { addGcRoot, readNixEnv, runNixBuild, storeHash, type NixCommandContext } from "./nix-cli.js";
import { resolveNixOptions, type NixBuilderOptions, type ResolvedNixOptions } from "./options.js";
import { buildSettings, NIX_FILE } from "./settings.js";

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
    priority: settings.priority,
    usesToolchains: false,
    accept: ({ app, env }) => acceptApp(app.dir, app.name, app.config.builder, settings, env),
    build: (context) => buildApp(context, settings),
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
  const { app, logger } = context;
  const nixFile = join(app.dir, NIX_FILE);
  if (!isFile(nixFile)) {
    throw nixError("NIX_FILE_MISSING", `The Nix builder was chosen for "${app.name}", and ${nixFile} does not exist.`, {
      details: { app: app.name, nixFile },
    });
  }
  const nixBuild = requireProgram(options.nixBuild, context.env, app.name);
  const nixInstantiate = requireProgram(options.nixInstantiate, context.env, app.name);
  const nixStore = options.gcRoots ? requireProgram(options.nixStore, context.env, app.name) : undefined;
  const command: NixCommandContext = { op: context, appName: app.name, settings: buildSettings(app, options) };

  logger.info(`Building ${nixFile} with nix-build.`);
  // Reading `env` is a separate evaluation; running it alongside the build costs no wall time.
  const [built, nixEnv] = await Promise.allSettled([runNixBuild(nixBuild, command), readNixEnv(nixInstantiate, command)]);
  if (built.status === "rejected") throw built.reason;
  const { storePath, drv } = built.value;
  logger.info(`Built ${storePath}.`);

  const runtime = parseRuntimeJson(readRuntimeJson(storePath, app.name), { file: join(storePath, "hop3", "runtime.json"), baseDir: storePath });
  if (nixEnv.status === "rejected") throw nixEnv.reason;

  let gcRoot: string | undefined;
  if (nixStore) {
    gcRoot = gcRootPath(context.appStateDir, context.releaseId);
    await protect(nixStore, gcRoot, storePath, command);
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
  });
}

async function protect(nixStore: string, link: string, storePath: string, command: NixCommandContext): Promise<void> {
  try {
    prepareGcRoot(link);
  } catch (error) {
    throw nixError("NIX_GC_ROOT_FAILED", `Could not create the directory of GC root ${link}: ${(error as Error).message}.`, {
      cause: error,
      details: { app: command.appName, link, storePath },
    });
  }
  await addGcRoot(nixStore, link, storePath, command);
}

function readRuntimeJson(storePath: string, appName: string): string {
  const file = join(storePath, "hop3", "runtime.json");
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw nixError("NIX_RUNTIME_JSON_MISSING", `The package of "${appName}" (${storePath}) has no hop3/runtime.json: hop3.nix must create $out/hop3/runtime.json.`, {
      cause: error,
      details: { app: appName, storePath, file },
    });
  }
}

/** The absolute path of a nix program, or NIX_NOT_INSTALLED saying how to install Nix. */
function requireProgram(program: string, env: Readonly<Record<string, string | undefined>>, appName: string): string {
  const found = findProgram(program, env);
  if (found) return found;
  const missing = program.includes("/") ? `${program} is not an executable file` : `${program} was not found on PATH`;
  throw nixError("NIX_NOT_INSTALLED", `"${appName}" is built with Nix, and ${missing}.`, {
    details: { app: appName, program, path: env.PATH ?? "" },
  });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
