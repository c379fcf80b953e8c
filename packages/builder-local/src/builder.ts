import { existsSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  appProcessEnv,
  coreErrorCatalog,
  Hop3Error,
  HTTP_WORKERS,
  searchablePath,
  type AcceptResult,
  type AppSource,
  type BuildArtifact,
  type Builder,
  type BuildContext,
  type Detection,
  type LanguageToolchain,
  type RunOptions,
} from "@hop3/core";
import { createAppCache, type LocalToolchainBuildContext } from "./cache.js";
import { localError } from "./errors.js";
import { addContribution, artifactKind, buildCommandEnv, emptyContribution, resolveWorkers, type MergedContribution } from "./merge.js";
import { resolveLocalOptions, type LocalBuilderOptions, type ResolvedLocalOptions } from "./options.js";
import { previewBuild } from "./preview.js";
import { copySources, prepareBuildsDir, releaseDir, removeRelease } from "./release-dir.js";
import { runStep } from "./toolchains/shared.js";

/** The builder's name, as hop3.toml `[build] builder = "local"` writes it. */
export const BUILDER_NAME = "local";

/** A toolchain that will run, with why. */
export interface SelectedToolchain {
  readonly toolchain: LanguageToolchain;
  readonly detection: Detection;
}

/**
 * Creates the Local builder: it builds the app on this machine with its language toolchains, in
 * a release directory of its own (`<HOP3_HOME>/apps/<app>/builds/<release>`), and describes how
 * the uWSGI (or static) deployer runs it. Everything the app ships (its build commands, its
 * package managers' scripts) runs as the app's own user; the release belongs to that user. Options
 * are validated at once.
 *
 * @example
 * const builder = createLocalBuilder({ timeoutSeconds: 600 });
 */
export function createLocalBuilder(options?: LocalBuilderOptions): Builder {
  const settings = resolveLocalOptions(options);
  return {
    apiVersion: 1,
    name: BUILDER_NAME,
    description: "Builds on the server with the app's language toolchains (Python, Node, Go, Ruby, PHP, Rust, Java, Clojure, static, generic)",
    looksFor: "a file one of its toolchains knows (package.json, requirements.txt, pyproject.toml, go.mod or a .go file, Gemfile, composer.json or a .php file, Cargo.toml, pom.xml, build.gradle, project.clj, deps.edn) or a Procfile",
    workersFrom: "the toolchains (e.g. a web worker for a Python or Node app)",
    priority: settings.priority,
    usesToolchains: true,
    workingDirPerRelease: true,
    accept: ({ app, toolchains }) => acceptApp(app, toolchains),
    preview: (context) => previewBuild(context, settings),
    build: (context) => buildApp(context, settings),
    async discard(artifact, context) {
      if (await removeRelease(context, artifact.location)) context.logger.info(`Removed release directory ${artifact.location}.`);
    },
  };
}

/** Runs only `detect` (a few stat calls): no program is run, nothing is written. */
async function acceptApp(app: AppSource, toolchains: readonly LanguageToolchain[]): Promise<AcceptResult> {
  const chosen = app.config.builder;
  if (chosen !== "auto" && chosen !== BUILDER_NAME) return { accepted: false, reason: `hop3.toml [build] builder is "${chosen}"` };
  const named = app.config.toolchain;
  if (named !== undefined) {
    return toolchains.some((t) => t.name === named)
      ? { accepted: true, reason: `hop3.toml [build] toolchain is "${named}"` }
      : { accepted: false, reason: `hop3.toml [build] toolchain is "${named}", and no such toolchain is installed (${toolchains.map((t) => t.name).join(", ") || "none"})` };
  }
  const answers = await Promise.all(toolchains.map(async (toolchain) => ({ toolchain, detection: await toolchain.detect(app) })));
  const found = answers.filter((a) => a.detection.detected);
  if (found.length > 0) return { accepted: true, reason: found.map((a) => `${a.toolchain.name}: ${a.detection.reason}`).join("; ") };
  return { accepted: false, reason: noToolchainReason(answers) };
}

function noToolchainReason(answers: readonly SelectedToolchain[]): string {
  if (answers.length === 0) return "no language toolchain is installed";
  return `no language toolchain detected (checked ${answers.map((a) => `${a.toolchain.name}: ${a.detection.reason}`).join("; ")})`;
}

/** The toolchains that build the app: the one hop3.toml names, else every one that detects it, in order. */
export async function selectToolchains(app: AppSource, toolchains: readonly LanguageToolchain[]): Promise<SelectedToolchain[]> {
  const named = app.config.toolchain;
  if (named !== undefined) {
    const toolchain = toolchains.find((t) => t.name === named);
    if (!toolchain) {
      throw localError("LOCAL_TOOLCHAIN_UNKNOWN", `hop3.toml [build] toolchain is "${named}", and no toolchain of that name is installed. Installed: ${toolchains.map((t) => t.name).join(", ") || "none"}.`, {
        details: { app: app.name, requested: named, available: toolchains.map((t) => t.name) },
      });
    }
    return [{ toolchain, detection: { detected: true, files: [], reason: "named by hop3.toml [build] toolchain" } }];
  }
  const answers = await Promise.all(toolchains.map(async (toolchain) => ({ toolchain, detection: await toolchain.detect(app) })));
  const found = answers.filter((a) => a.detection.detected);
  if (found.length === 0) {
    throw localError("LOCAL_NO_TOOLCHAIN", `Nothing tells how to build ${app.dir}: ${noToolchainReason(answers)}.`, {
      details: { app: app.name, checked: answers.map((a) => ({ name: a.toolchain.name, reason: a.detection.reason })) },
    });
  }
  return found;
}

/** COMMAND_CANCELLED, as context.run raises it, when the build's signal is aborted. */
function throwIfCancelled(context: BuildContext): void {
  if (!context.signal.aborted) return;
  throw new Hop3Error({
    code: "COMMAND_CANCELLED",
    message: `The Local build of "${context.app.name}" was cancelled.`,
    hint: coreErrorCatalog.COMMAND_CANCELLED.hint,
    details: { app: context.app.name },
  });
}

async function buildApp(context: BuildContext, settings: ResolvedLocalOptions): Promise<BuildArtifact> {
  const { app, logger } = context;
  throwIfCancelled(context);
  const selected = await selectToolchains(app, context.toolchains);
  logger.info(`Toolchains: ${selected.map((s) => `${s.toolchain.name} (${s.detection.reason})`).join(", ")}.`);

  prepareBuildsDir(context.appStateDir, context.appUser);
  const buildDir = releaseDir(context.appStateDir, context.releaseId);
  if (existsSync(buildDir)) {
    throw localError("LOCAL_SOURCE_COPY_FAILED", `The release directory ${buildDir} already exists; release ids must be new.`, { details: { buildDir } });
  }
  const started = Date.now();
  const files = copySources(app.dir, buildDir, app.config.build.ignore, context.appUser);
  logger.info(`Copied ${files} files of ${app.dir} into ${buildDir}.`);

  try {
    const merged = await runBuild(context, settings, selected, buildDir);
    // A build that runs no program (a static site) would otherwise finish as if never cancelled.
    throwIfCancelled(context);
    const workers = resolveWorkers(app.config.workers, merged.workers);
    checkWorkers(app, workers, buildDir);
    const toolchains = selected.map((s) => s.toolchain.name);
    logger.info(`Built release ${context.releaseId} in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    return {
      apiVersion: 1,
      kind: artifactKind(workers, toolchains),
      location: buildDir,
      builder: BUILDER_NAME,
      appName: app.name,
      buildId: context.releaseId,
      builtAt: new Date().toISOString(),
      metadata: {
        toolchains: selected.map((s) => ({ name: s.toolchain.name, files: [...s.detection.files], reason: s.detection.reason })),
        sourceDir: app.dir,
        files,
      },
      runtime: {
        workers,
        env: merged.env,
        path: merged.path,
        workingDir: buildDir,
        ...(app.config.beforeRun.length > 0 && { beforeRun: [...app.config.beforeRun] }),
        ...(app.config.healthcheck && { healthcheck: app.config.healthcheck }),
      },
    };
  } catch (error) {
    // A failed build leaves no release behind; the running one never lived here.
    await removeRelease(context, buildDir).catch((cleanup: unknown) => context.logger.warn(`The failed release ${buildDir} was left in place: ${(cleanup as Error).message}`));
    throw error;
  }
}

/**
 * The build proper, in the release directory: Procfile prebuild hooks and [build] before-build,
 * each toolchain (seeing what the earlier ones contributed), [build] build, [build] after-build
 * and the Procfile postbuild hooks. Every command runs as the app, with the app's process
 * environment (PATH, locale, its HOME and TMPDIR: none of Hop3's own variables), the builder's
 * `env` option, hop3.toml [env] and what the toolchains contributed.
 */
async function runBuild(
  context: BuildContext,
  settings: ResolvedLocalOptions,
  selected: readonly SelectedToolchain[],
  buildDir: string,
): Promise<MergedContribution> {
  const { app, appUser } = context;
  let merged = emptyContribution();
  const base = appProcessEnv(appUser, context.env);
  const cache = createAppCache(context.appStateDir, context);
  const toolchainContext = (): LocalToolchainBuildContext => {
    const env = buildCommandEnv(base, settings.env, app.config.env, merged);
    env.PATH = searchablePath(env.PATH ?? "", appUser);
    return {
      logger: context.logger,
      signal: context.signal,
      clock: context.clock,
      state: context.state,
      http: context.http,
      home: context.home,
      env,
      app,
      buildDir,
      cache,
      run: (file, args, options: RunOptions = {}) =>
        context.runAsApp(file, args, { cwd: buildDir, timeoutMs: settings.timeoutSeconds * 1000, ...options, env: { ...env, ...options.env } }),
    };
  };
  const shell = async (commands: readonly string[], what: string) => {
    for (const command of commands) {
      context.logger.info(`${what}: ${command}`);
      await runStep(toolchainContext(), "LOCAL_BUILD_FAILED", `${what} \`${command}\``, "sh", ["-c", command]);
    }
  };

  await shell(app.config.hooks.prebuild, "Procfile prebuild");
  await shell(app.config.build.beforeBuild, "hop3.toml [build] before-build");
  for (const { toolchain } of selected) {
    context.logger.info(`Building with the ${toolchain.name} toolchain.`);
    merged = addContribution(merged, toolchain.name, await toolchain.build(toolchainContext()));
  }
  for (const conflict of merged.conflicts) context.logger.warn(`Toolchains disagree on ${conflict}.`);
  await shell(app.config.build.commands, "hop3.toml [build] build");
  await shell(app.config.build.afterBuild, "hop3.toml [build] after-build");
  await shell(app.config.hooks.postbuild, "Procfile postbuild");
  return merged;
}

/** Something must run, and a static worker's directory must exist once the build is done. */
function checkWorkers(app: AppSource, workers: Readonly<Record<string, string>>, buildDir: string): void {
  const names = Object.keys(workers);
  const serves = HTTP_WORKERS.some((name) => name in workers) || "static" in workers;
  const source = [app.config.files.procfile, app.config.files.hop3Toml].filter(Boolean).join(" and ") || "no Procfile or hop3.toml";
  if (names.length === 0) {
    throw localError("LOCAL_WEB_WORKER_MISSING", `"${app.name}" declares no worker (read: ${source}), and its toolchains offer none: there is nothing to run.`, {
      details: { app: app.name, files: app.config.files },
    });
  }
  if (!serves && app.config.healthcheck) {
    throw localError("LOCAL_WEB_WORKER_MISSING", `"${app.name}" has a [healthcheck], so it must answer HTTP, and it has no web worker (workers: ${names.join(", ")}).`, {
      details: { app: app.name, workers: names },
    });
  }
  const staticDir = workers.static;
  if (staticDir !== undefined) {
    const absolute = join(buildDir, staticDir);
    let isDir = false;
    try {
      isDir = statSync(absolute).isDirectory();
    } catch {
      // missing
    }
    if (!isDir) {
      throw localError("LOCAL_STATIC_DIR_MISSING", `The static worker of "${app.name}" serves ${staticDir}/, and the build left no such directory in the app.`, {
        details: { app: app.name, staticDir, path: absolute },
      });
    }
    // nginx would serve whatever a link leads to: a `public -> /` link must not publish the machine.
    const real = realpathSync(absolute);
    const root = realpathSync(buildDir);
    if (real !== root && !real.startsWith(`${root}/`)) {
      throw localError("LOCAL_STATIC_DIR_MISSING", `The static worker of "${app.name}" serves ${staticDir}/, which is a link to ${real}, outside the app: only a directory of the app is served.`, {
        details: { app: app.name, staticDir, path: absolute, target: real },
      });
    }
  }
}
