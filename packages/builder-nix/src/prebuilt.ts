import { join } from "node:path";
import { parseRuntimeJson, silentLogger, type BuildArtifact, type PrebuiltContext } from "@hop3/core";
import { nixArtifact } from "./artifact.js";
import { protect, readRuntimeJson, requireProgram } from "./package.js";
import { INSTALL_NIX_HINT, nixError } from "./errors.js";
import { gcRootPath } from "./gc-roots.js";
import { storeHash } from "./nix-cli.js";
import type { ResolvedNixOptions } from "./options.js";

/**
 * A store path built on another machine and copied here (`hop3 deploy --store-path`, what
 * `--build-here` sends): nothing of the app is evaluated or built. The path must be written as
 * nix-build prints one (no `..`, no link below the store) and be valid in this server's store,
 * i.e. copied with its closure; then its hop3/runtime.json is read and checked, and a GC root is
 * taken for the release, exactly as after a build here.
 */
export async function usePrebuilt(context: PrebuiltContext, options: ResolvedNixOptions): Promise<BuildArtifact> {
  const { app, logger, storePath } = context;
  const hash = storeHash(storePath);
  if (hash === undefined) {
    throw nixError("NIX_STORE_PATH_INVALID", `${JSON.stringify(storePath)} is not a Nix store path (/nix/store/<hash>-<name>); "${app.name}" was not deployed.`, {
      details: { app: app.name, storePath },
    });
  }
  const nixStore = requireProgram(options.nixStore, context.env, app.name);
  // Hop3's own nix-store, on the server's store: a path is valid once its whole closure is there.
  const checked = await context.run(nixStore, ["--check-validity", storePath], {
    env: context.env,
    extendEnv: false,
    timeoutMs: 60_000,
    allowFailure: true,
    notFoundHint: INSTALL_NIX_HINT,
    purpose: `checking that ${storePath} is in the Nix store`,
    logger: silentLogger,
  });
  if (checked.exitCode !== 0) {
    throw nixError("NIX_STORE_PATH_MISSING", `${storePath} is not in this server's Nix store (it was not copied here); "${app.name}" was not deployed.`, {
      details: { app: app.name, storePath, said: checked.lastLines.join("\n") },
    });
  }
  logger.info(`Deploying ${storePath}, built elsewhere: hop3.nix is not evaluated here.`);
  const { runtime, warnings } = parseRuntimeJson(readRuntimeJson(storePath, app.name), { file: join(storePath, "hop3", "runtime.json"), baseDir: storePath });
  for (const warning of warnings) logger.warn(warning);

  let gcRoot: string | undefined;
  if (options.gcRoots) {
    gcRoot = gcRootPath(context.appStateDir, context.releaseId);
    await protect(nixStore, gcRoot, storePath, context, app.name);
    logger.info(`Kept ${storePath} from garbage collection with GC root ${gcRoot}.`);
  }
  // hop3.nix `env` is not read (that would evaluate it): runtime.json's env is the package's.
  return nixArtifact({ appName: app.name, storePath, storeHash: hash, runtime, nixEnv: {}, prebuilt: true, ...(gcRoot !== undefined && { gcRoot }) });
}
