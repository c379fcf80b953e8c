import { loadApp, type AppSource, type LoadAppOptions } from "./app.js";
import { runCommand, type CommandRunner, type RunOptions } from "./command.js";
import { SUPPORTED_API_VERSIONS, type AppOperationContext, type OperationContext } from "./contracts/common.js";
import type { Deployer } from "./contracts/deployer.js";
import type { Router } from "./contracts/router.js";
import type { Hop3Plugin } from "./contracts/plugin.js";
import { requirementProblem, type SystemRequirement } from "./contracts/requirements.js";
import { coreError } from "./error-codes.js";
import { Hop3Error } from "./errors.js";
import { validateArtifact } from "./formats/artifact.js";
import { artifactShape, describeShape } from "./formats/artifact-shape.js";
import { confineStaticDir } from "./host/confine.js";
import { prepareAppDirs, prepareHome } from "./host/home-layout.js";
import { runAsUser } from "./host/run-as.js";
import { ensureAppUser } from "./host/users.js";
import { appStateDir, newReleaseId, resolveHop3Home } from "./home.js";
import { silentLogger, type Logger } from "./logger.js";
import type { AddonEnvSource } from "./env-references.js";
import { declaredInstances, recordsAddonEnv } from "./pipeline/addons.js";
import { planAppEnv } from "./pipeline/app-env.js";
import { appPipeline, type AppPipeline } from "./pipeline/api.js";
import { checkRelease, guardPlugin, releaseRefusal, selectBuilder, type BuildPlan } from "./planning.js";
import { Registry } from "./registry.js";
import type { BuildArtifact } from "./schemas/artifact.js";
import { fileStateStore, nodeHttpClient, systemClock, type ServiceOverrides } from "./services.js";
import { Hop3Tokens } from "./tokens.js";

export interface DistributionOptions {
  /** The plugins to compose, in order: order breaks ties between builders of equal priority. */
  readonly plugins: readonly Hop3Plugin[];
  /** Environment to read HOP3_HOME, PATH, NIX_PATH... from (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How to run the distribution's command-line program, for work Hop3 schedules for itself (see OperationContext.hop3Command). */
  readonly hop3Command?: readonly string[];
  /**
   * Services put in place of core's defaults (or of a plugin's), by token:
   * `{ [Hop3Tokens.CommandRunner]: remoteRunner }`. Every operation, and every class contribution
   * that injects the token, gets them.
   */
  readonly services?: ServiceOverrides;
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
  /** Values the deploy will set (`deploy --env`): like those set with `hop3 config set`, they win over `[env]` references. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Whether a plan with problems found before the build (`BuildPlan.checks`: what the build or
   * the deployer would refuse) is refused with the first one's coded error (default true). False:
   * the plan is returned with them, for a command that reports them itself.
   */
  readonly refuseProblems?: boolean;
  /** A Nix store path built elsewhere, deployed as it is (`hop3 deploy --store-path`): see `Builder.usePrebuilt`. */
  readonly storePath?: string;
}

export interface OperationOptions {
  /** Where the operation reports (`Hop3Tokens.Logger`); default: the distribution's, silent. */
  readonly logger?: Logger;
  /** Cancels the operation (`Hop3Tokens.Signal`). */
  readonly signal?: AbortSignal;
  /** Services for this operation alone, by token, over the distribution's (see DistributionOptions.services). */
  readonly services?: ServiceOverrides;
}

export interface BuildOptions extends OperationOptions {
  /** Defaults to a new, time-ordered id. */
  readonly releaseId?: string;
}

/** A deployer asked for by name, and where it was asked (`hop3.toml line 4`, `release 20260101-...`), for the error. */
export interface NamedDeployer {
  readonly name: string;
  readonly where: string;
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
  /**
   * Which builder would build the app, and why, and what the build or the deploy would refuse that
   * is known before the build (`checks`, see checkRelease): refused with its coded error unless
   * `refuseProblems` is false. No side effects.
   */
  plan(app: string | AppSource, options?: PlanOptions): Promise<BuildPlan>;
  /** Builds the app the plan names and returns the validated artifact. */
  build(plan: BuildPlan, options?: BuildOptions): Promise<BuildArtifact>;
  /**
   * The deployer that runs this artifact: the first registered that takes its shape (see
   * ARTIFACT_SHAPES). Given the operation's context, a deployer contributed as a class is the one
   * built in that operation's container, with its services. `named` (hop3.toml `[run] deployer`,
   * or the deployer a release recorded) picks that deployer instead: DEPLOYER_UNKNOWN when the
   * distribution has none of that name, or it takes neither the shape nor, when named, the shapes
   * it takes then (`takesWhenNamed`).
   */
  deployerFor(artifact: BuildArtifact, context?: OperationContext, named?: NamedDeployer): Deployer;
  /** The proxy of this distribution. */
  router(): Router;
  /**
   * A new operation: a child container of the distribution's, with the operation's logger, signal
   * and services, and the context that is its view (logger, run, signal, clock, state, http, home, env).
   */
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
  return compose({
    entries: options.plugins.map((plugin) => ({ plugin, origin: "distribution" })),
    env: options.env ?? process.env,
    hop3Command: options.hop3Command,
    services: options.services ?? {},
  });
}

interface Composition {
  readonly entries: readonly AddedPlugin[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly hop3Command: readonly string[] | undefined;
  readonly services: ServiceOverrides;
}

/** The operation's registry, kept on its context (a symbol key survives `{ ...context }`). */
const OPERATION_SCOPE = Symbol("hop3.operationScope");
const scopeOf = (context: OperationContext | undefined): Registry | undefined =>
  (context as { [OPERATION_SCOPE]?: Registry } | undefined)?.[OPERATION_SCOPE];

const overridesOf = (services: ServiceOverrides | undefined): Map<symbol, unknown> =>
  new Map(Object.getOwnPropertySymbols(services ?? {}).map((token) => [token, (services as Record<symbol, unknown>)[token]]));

/** A runner with the operation's defaults: its logger and signal, and programs see the distribution's env (PATH, NIX_PATH...), not whatever Node has. */
const withDefaults =
  (runner: CommandRunner, defaults: { logger: Logger; signal: AbortSignal | undefined; env: Readonly<Record<string, string | undefined>> }): CommandRunner =>
  (file, args, runOptions: RunOptions = {}) =>
    runner(file, args, { logger: defaults.logger, ...(defaults.signal && { signal: defaults.signal }), ...runOptions, env: { ...defaults.env, ...runOptions.env }, extendEnv: false });

function compose(composition: Composition): Distribution {
  const { entries, env, hop3Command } = composition;
  const registry = new Registry();
  // Before the plugins: core's reads the addon records (a plugin or `services` may put its own in place).
  registry.provide(Hop3Tokens.AddonEnv, recordsAddonEnv(() => composed));
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

  // Core's services, registered after the plugins: `services` replace them, and a class
  // contribution built in an operation's container gets that operation's.
  const distributionServices = overridesOf(composition.services);
  const service = <T>(token: symbol, fallback: T): T => (distributionServices.has(token) ? (distributionServices.get(token) as T) : fallback);
  const baseRunner = service<CommandRunner>(Hop3Tokens.CommandRunner, runCommand);
  const baseLogger = service<Logger>(Hop3Tokens.Logger, silentLogger);
  registry.provide(Hop3Tokens.Logger, baseLogger);
  registry.provide(Hop3Tokens.CommandRunner, withDefaults(baseRunner, { logger: baseLogger, signal: undefined, env }));
  registry.provide(Hop3Tokens.Clock, systemClock);
  registry.provide(Hop3Tokens.StateStore, fileStateStore);
  registry.provide(Hop3Tokens.HttpClient, nodeHttpClient);
  registry.provideFactory(Hop3Tokens.Router, () => firstRouter());
  for (const [token, value] of distributionServices) {
    if (token !== Hop3Tokens.CommandRunner && token !== Hop3Tokens.Logger) registry.provide(token, value);
  }

  const operationScope = (options: OperationOptions) => {
    const overrides = overridesOf(options.services);
    const logger = options.logger ?? (overrides.get(Hop3Tokens.Logger) as Logger | undefined) ?? baseLogger;
    const signal = options.signal ?? (overrides.get(Hop3Tokens.Signal) as AbortSignal | undefined) ?? new AbortController().signal;
    const base = (overrides.get(Hop3Tokens.CommandRunner) as CommandRunner | undefined) ?? baseRunner;
    overrides.set(Hop3Tokens.Logger, logger);
    overrides.set(Hop3Tokens.Signal, signal);
    overrides.set(Hop3Tokens.CommandRunner, withDefaults(base, { logger, signal, env }));
    const scope = registry.scope(overrides);
    const context: OperationContext = {
      logger: scope.resolve<Logger>(Hop3Tokens.Logger),
      run: scope.resolve<CommandRunner>(Hop3Tokens.CommandRunner),
      signal: scope.resolve<AbortSignal>(Hop3Tokens.Signal),
      clock: scope.resolve(Hop3Tokens.Clock),
      state: scope.resolve(Hop3Tokens.StateStore),
      http: scope.resolve(Hop3Tokens.HttpClient),
      home,
      env,
      ...(hop3Command && { hop3Command }),
    };
    return { scope, context: Object.assign(context, { [OPERATION_SCOPE]: scope }), base };
  };

  const operationContext = (options: OperationOptions = {}): OperationContext => operationScope(options).context;

  const appContext = (app: string, options: OperationOptions = {}): AppOperationContext => {
    const { context, base } = operationScope(options);
    const layout = { home, env };
    prepareHome(layout);
    const appUser = ensureAppUser(layout, app);
    prepareAppDirs(layout, app, appUser);
    // The app's programs get only the environment given to them: the base runner, without the distribution's env.
    return { ...context, appStateDir: appStateDir(home, app), appUser, runAsApp: runAsUser(appUser, { env, logger: context.logger, signal: context.signal, runner: base }) };
  };

  const firstRouter = (): Router => {
    const first = registry.routers()[0];
    if (!first) throw coreError("ROUTER_NOT_FOUND", "This distribution has no router to route apps with.", { details: {} });
    return first;
  };
  // Through the container, so a router given in `services` is the distribution's router too.
  const router = (): Router => registry.resolve<Router>(Hop3Tokens.Router);

  const composed: Omit<Distribution, keyof AppPipeline> = {
    plugins,
    registry,
    home,
    env,
    loadApp: (dir, loadOptions) => loadApp(dir, loadOptions),
    async plan(app, planOptions = {}) {
      const source = typeof app === "string" ? loadApp(app, planOptions) : app;
      // hop3.toml [[addons]] of a kind no plugin provides: refused before the build (a deploy makes the others before planning).
      declaredInstances(composed, source.name, source.config.toml);
      // A reference that cannot be resolved fails the plan, before any build.
      const appEnv = await planAppEnv({ home, router }, source, { addons: registry.resolve<AddonEnvSource>(Hop3Tokens.AddonEnv), ...(planOptions.env && { env: planOptions.env }) });
      const plan = await selectBuilder({
        app: source,
        builders: registry.builders(),
        toolchains: () => registry.toolchains(),
        ...(planOptions.builder !== undefined && { requested: planOptions.builder }),
        ...(planOptions.storePath !== undefined && { storePath: planOptions.storePath }),
        env,
      });
      const checks = await checkRelease({ plan, builders: registry.builders(), toolchains: () => registry.toolchains(), deployers: registry.deployers(), env });
      const refusal = planOptions.refuseProblems === false ? undefined : releaseRefusal(checks);
      if (refusal) throw refusal;
      return { ...plan, warnings: [...plan.warnings, ...appEnv.warnings], env: appEnv, checks };
    },
    async build(plan, buildOptions = {}) {
      if (!registry.builders().some((b) => b.name === plan.builder.name)) {
        throw coreError("BUILDER_UNKNOWN", `The plan names builder "${plan.builder.name}", which this distribution does not have.`, {
          hint: "Make the plan with the same distribution that builds it.",
          details: { requested: plan.builder.name, available: registry.builders().map((b) => b.name) },
        });
      }
      // The build runs what the app ships: as the app's own user, in directories it may use; the
      // builder is the one built in the build's own container, with its services.
      const context = appContext(plan.app.name, buildOptions);
      const scope = scopeOf(context) ?? registry;
      const builder = scope.builders().find((b) => b.name === plan.builder.name)!;
      const buildContext = {
        ...context,
        app: plan.app,
        toolchains: builder.usesToolchains ? scope.toolchains() : [],
        releaseId: buildOptions.releaseId ?? newReleaseId(context.clock.now()),
      };
      const prebuilt = plan.prebuilt;
      const artifact = await guardPlugin(`builder "${builder.name}"`, "build", () =>
        prebuilt !== undefined && builder.usePrebuilt ? builder.usePrebuilt({ ...buildContext, storePath: prebuilt }) : builder.build(buildContext),
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
    deployerFor(artifact, context, named) {
      const shape = artifactShape(artifact);
      const deployers = (scopeOf(context) ?? registry).deployers();
      if (named) {
        const chosen = deployers.find((d) => d.name === named.name);
        if (chosen && (chosen.takes.includes(shape) || chosen.takesWhenNamed?.includes(shape))) return chosen;
        const fits = deployers.filter((d) => d.takes.includes(shape) || d.takesWhenNamed?.includes(shape)).map((d) => d.name);
        const why = chosen ? `it does not run ${describeShape(artifact)} (shape "${shape}")` : "this server has no deployer of that name";
        throw coreError("DEPLOYER_UNKNOWN", `${named.where}: [run] deployer "${named.name}": ${why}. Deployers that run app "${artifact.appName}": ${fits.join(", ") || "none"}.`, {
          details: { app: artifact.appName, deployer: named.name, where: named.where, shape, available: deployers.map((d) => d.name), fits },
        });
      }
      const deployer = deployers.find((d) => d.takes.includes(shape));
      if (!deployer) {
        const available = deployers.map((d) => `${d.name} (${d.takes.join(", ")})`);
        throw coreError(
          "DEPLOYER_NOT_FOUND",
          `No deployer takes the artifact of app "${artifact.appName}" (kind "${artifact.kind}"): it is ${describeShape(artifact)}, shape "${shape}". Deployers: ${available.join("; ") || "none"}.`,
          { details: { app: artifact.appName, kind: artifact.kind, shape, available } },
        );
      }
      return deployer;
    },
    router,
    operationContext,
    appContext,
    withPlugins: (extra) => compose({ ...composition, entries: [...entries, ...extra] }),
    withHop3Command: (command) => compose({ ...composition, hop3Command: command }),
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
