import { loadApp, type AppSource, type LoadAppOptions } from "./app.js";
import { runCommand, type RunOptions } from "./command.js";
import { SUPPORTED_API_VERSIONS, type AppOperationContext, type OperationContext } from "./contracts/common.js";
import type { Deployer } from "./contracts/deployer.js";
import type { Router } from "./contracts/router.js";
import type { Hop3Plugin } from "./contracts/plugin.js";
import { requirementProblem, type SystemRequirement } from "./contracts/requirements.js";
import { coreError } from "./error-codes.js";
import { Hop3Error } from "./errors.js";
import { validateArtifact } from "./formats/artifact.js";
import { confineStaticDir } from "./host/confine.js";
import { prepareAppDirs, prepareHome } from "./host/home-layout.js";
import { runAsUser } from "./host/run-as.js";
import { ensureAppUser } from "./host/users.js";
import { appStateDir, newReleaseId, resolveHop3Home } from "./home.js";
import { silentLogger, type Logger } from "./logger.js";
import { appPipeline, type AppPipeline } from "./pipeline/api.js";
import { guardPlugin, selectBuilder, type BuildPlan } from "./planning.js";
import { Registry } from "./registry.js";
import type { BuildArtifact } from "./schemas/artifact.js";

export interface DistributionOptions {
  /** The plugins to compose, in order: order breaks ties between builders of equal priority. */
  readonly plugins: readonly Hop3Plugin[];
  /** Environment to read HOP3_HOME, PATH, NIX_PATH... from (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How to run the distribution's command-line program, for work Hop3 schedules for itself (see OperationContext.hop3Command). */
  readonly hop3Command?: readonly string[];
}

export interface PluginInfo {
  readonly name: string;
  readonly version?: string;
  readonly apiVersion: number;
  /** What the plugin declared it needs on the server; absent when it declared nothing. */
  readonly requirements?: readonly SystemRequirement[];
  /** Position in the distribution, from 1: breaks ties between contributions of equal priority. */
  readonly order: number;
  /** Where the plugin comes from: "distribution", or the setting that named it ("HOP3_PLUGINS"...). */
  readonly origin: string;
}

/** A plugin added to a composed distribution, with where it came from. */
export interface AddedPlugin {
  readonly plugin: Hop3Plugin;
  readonly origin: string;
}

export interface PlanOptions extends LoadAppOptions {
  /** Builder name; overrides hop3.toml `[build] builder`. "auto" asks every builder. */
  readonly builder?: string;
}

export interface OperationOptions {
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
}

export interface BuildOptions extends OperationOptions {
  /** Defaults to a new, time-ordered id. */
  readonly releaseId?: string;
}

/**
 * Core composed with a set of plugins: what a Hop3 distribution (like @hop3/cli) is made of. Its
 * AppPipeline methods (deploy, rollback, restart, status...) are the whole life of an app.
 */
export interface Distribution extends AppPipeline {
  readonly plugins: readonly PluginInfo[];
  readonly registry: Registry;
  /** HOP3_HOME of this distribution. */
  readonly home: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  loadApp(dir: string, options?: LoadAppOptions): AppSource;
  /** Which builder would build the app, and why. No side effects. */
  plan(app: string | AppSource, options?: PlanOptions): Promise<BuildPlan>;
  /** Builds the app the plan names and returns the validated artifact. */
  build(plan: BuildPlan, options?: BuildOptions): Promise<BuildArtifact>;
  /** The deployer that runs this artifact (the first registered that takes it). */
  deployerFor(artifact: BuildArtifact): Deployer;
  /** The proxy of this distribution. */
  router(): Router;
  /** What a plugin operation gets: logger, signal, home, env, and a runner using them. */
  operationContext(options?: OperationOptions): OperationContext;
  /**
   * What an operation on one app's files gets besides: its directory, its user (made if missing,
   * with HOP3_HOME and the app's directories put in the layout isolation needs), and a runner as
   * that user.
   */
  appContext(app: string, options?: OperationOptions): AppOperationContext;
  /**
   * A new distribution: the same plugins and env, then these, in order (plugins loaded at run time
   * from HOP3_PLUGINS or package.json). This one is left as it is.
   */
  withPlugins(extra: readonly AddedPlugin[]): Distribution;
  /** A new distribution that tells its plugins how to run its command-line program (OperationContext.hop3Command). */
  withHop3Command(command: readonly string[]): Distribution;
}

/** Composes core with the given plugins. Invalid or duplicate plugins are coded errors naming them. */
export function createDistribution(options: DistributionOptions): Distribution {
  return compose(
    options.plugins.map((plugin) => ({ plugin, origin: "distribution" })),
    options.env ?? process.env,
    options.hop3Command,
  );
}

function compose(entries: readonly AddedPlugin[], env: Readonly<Record<string, string | undefined>>, hop3Command: readonly string[] | undefined): Distribution {
  const registry = new Registry();
  const plugins: PluginInfo[] = [];
  for (const { plugin, origin } of entries) {
    checkPlugin(plugin, plugins);
    registry.withPlugin(plugin.name, () => {
      try {
        plugin.register(registry);
      } catch (error) {
        if (Hop3Error.is(error)) throw error;
        throw coreError("PLUGIN_REGISTER_FAILED", `Plugin "${plugin.name}" failed in register(): ${(error as Error)?.message ?? error}`, {
          cause: error,
          details: { plugin: plugin.name },
        });
      }
    });
    plugins.push({
      name: plugin.name,
      apiVersion: plugin.apiVersion,
      ...(plugin.version && { version: plugin.version }),
      ...(plugin.requirements && { requirements: plugin.requirements }),
      order: plugins.length + 1,
      origin,
    });
  }
  const home = resolveHop3Home(env);
  const operationContext = (options: OperationOptions = {}): OperationContext => {
    const logger = options.logger ?? silentLogger;
    const signal = options.signal ?? new AbortController().signal;
    return {
      logger,
      signal,
      home,
      env,
      ...(hop3Command && { hop3Command }),
      // Programs see the distribution's environment (PATH, NIX_PATH...), not whatever Node has.
      run: (file, args, runOptions: RunOptions = {}) =>
        runCommand(file, args, { logger, signal, ...runOptions, env: { ...env, ...runOptions.env }, extendEnv: false }),
    };
  };

  const appContext = (app: string, options: OperationOptions = {}): AppOperationContext => {
    const context = operationContext(options);
    const scope = { home, env };
    prepareHome(scope);
    const appUser = ensureAppUser(scope, app);
    prepareAppDirs(scope, app, appUser);
    return { ...context, appStateDir: appStateDir(home, app), appUser, runAsApp: runAsUser(appUser, { env, logger: context.logger, signal: context.signal }) };
  };

  const composed: Omit<Distribution, keyof AppPipeline> = {
    plugins,
    registry,
    home,
    env,
    loadApp: (dir, loadOptions) => loadApp(dir, loadOptions),
    async plan(app, planOptions = {}) {
      const source = typeof app === "string" ? loadApp(app, planOptions) : app;
      return selectBuilder({
        app: source,
        builders: registry.builders(),
        toolchains: () => registry.toolchains(),
        ...(planOptions.builder !== undefined && { requested: planOptions.builder }),
        env,
      });
    },
    async build(plan, buildOptions = {}) {
      const builder = registry.builders().find((b) => b.name === plan.builder.name);
      if (!builder) {
        throw coreError("BUILDER_UNKNOWN", `The plan names builder "${plan.builder.name}", which this distribution does not have.`, {
          hint: "Make the plan with the same distribution that builds it.",
          details: { requested: plan.builder.name, available: registry.builders().map((b) => b.name) },
        });
      }
      // The build runs what the app ships: as the app's own user, in directories it may use.
      const context = appContext(plan.app.name, buildOptions);
      const artifact = await guardPlugin(`builder "${builder.name}"`, "build", () =>
        builder.build({
          ...context,
          app: plan.app,
          toolchains: builder.usesToolchains ? registry.toolchains() : [],
          releaseId: buildOptions.releaseId ?? newReleaseId(),
        }),
      );
      const valid = validateArtifact(artifact, `builder "${builder.name}"`);
      confineStaticDir(valid);
      if (valid.appName !== plan.app.name || valid.builder !== builder.name) {
        throw coreError(
          "BUILD_ARTIFACT_INVALID",
          `The artifact from builder "${builder.name}" names app "${valid.appName}" and builder "${valid.builder}"; expected "${plan.app.name}" and "${builder.name}".`,
          { details: { origin: `builder "${builder.name}"` } },
        );
      }
      return valid;
    },
    deployerFor(artifact) {
      const { kind } = artifact;
      const deployer = registry.deployers().find((d) => d.kinds.includes(kind));
      if (!deployer) {
        const available = registry.deployers().map((d) => `${d.name} (${d.kinds.join(", ")})`);
        throw coreError("DEPLOYER_NOT_FOUND", `No deployer takes artifacts of kind "${kind}". Deployers: ${available.join("; ") || "none"}.`, {
          details: { kind, available },
        });
      }
      return deployer;
    },
    router() {
      const router = registry.routers()[0];
      if (!router) throw coreError("ROUTER_NOT_FOUND", "This distribution has no router to route apps with.", { details: {} });
      return router;
    },
    operationContext,
    appContext,
    withPlugins: (extra) => compose([...entries, ...extra], env, hop3Command),
    withHop3Command: (command) => compose(entries, env, command),
  };
  return { ...composed, ...appPipeline(composed) };
}

function checkPlugin(plugin: Hop3Plugin, loaded: readonly PluginInfo[]): void {
  const candidate = plugin as Partial<Hop3Plugin> | null | undefined;
  const label = typeof candidate?.name === "string" ? `"${candidate.name}"` : `#${loaded.length + 1}`;
  if (typeof candidate !== "object" || candidate === null) {
    throw coreError("PLUGIN_INVALID", `Plugin ${label} is ${candidate === null ? "null" : typeof candidate}, not a plugin object.`, { details: { plugin: label } });
  }
  if (typeof candidate.name !== "string" || candidate.name === "") {
    throw coreError("PLUGIN_INVALID", `Plugin ${label} has no name.`, { details: { plugin: label } });
  }
  if (typeof candidate.register !== "function") {
    throw coreError("PLUGIN_INVALID", `Plugin ${label} has no register(registry) function.`, { details: { plugin: candidate.name } });
  }
  if (typeof candidate.apiVersion !== "number" || !SUPPORTED_API_VERSIONS.includes(candidate.apiVersion)) {
    throw coreError(
      "PLUGIN_API_VERSION_UNSUPPORTED",
      `Plugin ${label} ${candidate.apiVersion === undefined ? "declares no apiVersion" : `declares apiVersion ${JSON.stringify(candidate.apiVersion)}`}; this @hop3/core supports ${SUPPORTED_API_VERSIONS.join(", ")}.`,
      { details: { plugin: candidate.name, apiVersion: candidate.apiVersion, supported: SUPPORTED_API_VERSIONS } },
    );
  }
  if (candidate.requirements !== undefined) {
    const problem = Array.isArray(candidate.requirements) ? candidate.requirements.map(requirementProblem).find((p) => p !== undefined) : "is not a list";
    if (problem !== undefined) {
      throw coreError("PLUGIN_INVALID", `Plugin ${label} declares a requirement that ${problem}.`, { details: { plugin: candidate.name } });
    }
  }
  if (loaded.some((other) => other.name === candidate.name)) {
    throw coreError("PLUGIN_DUPLICATE_NAME", `Plugin ${label} is loaded twice.`, { details: { plugin: candidate.name } });
  }
}
