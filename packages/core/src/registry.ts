import { container as rootContainer, Lifecycle, type DependencyContainer, type InjectionToken } from "./vendor/tsyringe.js";
import type { Addon } from "./contracts/addon.js";
import type { Builder } from "./contracts/builder.js";
import type { CliCommand } from "./contracts/cli-command.js";
import type { Deployer } from "./contracts/deployer.js";
import type { MaintenanceTask } from "./contracts/maintenance.js";
import type { Router } from "./contracts/router.js";
import type { LanguageToolchain } from "./contracts/toolchain.js";
import { coreError } from "./error-codes.js";
import { CONTRIBUTION_NAME_PATTERN } from "./schemas/names.js";
import { ARTIFACT_SHAPES } from "./formats/artifact-shape.js";
import { Hop3Tokens } from "./tokens.js";

export { inject, injectAll, injectable, singleton } from "./vendor/tsyringe.js";

/** A class whose instances the container builds, resolving `@inject` parameters. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- constructor parameters are resolved by the container
export type Constructor<T> = new (...args: any[]) => T;
/** A contribution is given as a ready object or as an injectable class. */
export type Contribution<T> = T | Constructor<T>;

type Kind = "builder" | "toolchain" | "deployer" | "router" | "command" | "maintenance task" | "addon";

const TOKEN: Record<Kind, symbol> = {
  builder: Hop3Tokens.Builder,
  toolchain: Hop3Tokens.Toolchain,
  deployer: Hop3Tokens.Deployer,
  router: Hop3Tokens.RouterContribution,
  command: Hop3Tokens.CliCommand,
  "maintenance task": Hop3Tokens.MaintenanceTask,
  addon: Hop3Tokens.Addon,
};

const REQUIRED_METHODS: Record<Kind, readonly string[]> = {
  builder: ["accept", "build"],
  toolchain: ["detect", "build"],
  deployer: ["deploy", "start", "stop", "restart", "scale", "destroy", "status"],
  router: ["ensureRunning", "apply", "remove", "urlFor", "status", "stop"],
  command: ["run"],
  "maintenance task": ["run"],
  addon: ["ensureRunning", "stop", "create", "attach", "detach", "destroy", "backup", "restore", "status"],
};

/** What a plugin's `register` receives: the only way to contribute to a distribution. */
export interface PluginRegistry {
  addBuilder(builder: Contribution<Builder>): void;
  addToolchain(toolchain: Contribution<LanguageToolchain>): void;
  addDeployer(deployer: Contribution<Deployer>): void;
  /** The proxy (nginx) that deployers route apps through. */
  addRouter(router: Contribution<Router>): void;
  addCliCommand(command: Contribution<CliCommand>): void;
  /** Work Hop3's own schedule runs every minute (`hop3 server maintain`). */
  addMaintenanceTask(task: Contribution<MaintenanceTask>): void;
  /** A kind of backing service apps attach to (PostgreSQL, Redis). */
  addAddon(addon: Contribution<Addon>): void;
  /** Registers a shared service under a token, for other contributions to `@inject`. */
  provide<T>(token: InjectionToken<T>, value: T): void;
}

/**
 * A thin layer over one tsyringe child container: plugins register against it, the distribution
 * reads from it. Contributions given as classes are built on first use (a toolchain is never even
 * constructed for a build that does not use toolchains), once per container: the distribution's,
 * and each operation's (`scope`), where they get that operation's services.
 */
export class Registry implements PluginRegistry {
  readonly #container: DependencyContainer;
  readonly #owners: Map<Kind, string[]>;
  readonly #cache = new Map<Kind, unknown[]>();
  #currentPlugin = "(distribution)";

  constructor(parent: DependencyContainer = rootContainer, owners?: Map<Kind, string[]>) {
    // A scope shares its parent's record of who registered what; the distribution starts its own.
    this.#container = owners === undefined ? parent.createChildContainer() : parent;
    this.#owners = owners ?? new Map();
  }

  /**
   * A registry for one operation: a child container, in which `services` (by token) replace the
   * distribution's, and in which class contributions are built anew with the services it holds.
   */
  scope(services: ReadonlyMap<InjectionToken<unknown>, unknown> = new Map()): Registry {
    const child = this.#container.createChildContainer();
    for (const [token, value] of services) child.register(token, { useValue: value });
    return new Registry(child, this.#owners);
  }

  /** Registers a service under a token; the given factory runs on first resolve, once per container. */
  provideFactory<T>(token: InjectionToken<T>, factory: () => T): void {
    this.#container.register(token, { useFactory: factory });
  }

  /** Attributes the following registrations to a plugin, for error messages. */
  withPlugin<T>(pluginName: string, action: () => T): T {
    const previous = this.#currentPlugin;
    this.#currentPlugin = pluginName;
    try {
      return action();
    } finally {
      this.#currentPlugin = previous;
    }
  }

  addBuilder(builder: Contribution<Builder>): void {
    this.#add("builder", builder);
  }
  addToolchain(toolchain: Contribution<LanguageToolchain>): void {
    this.#add("toolchain", toolchain);
  }
  addDeployer(deployer: Contribution<Deployer>): void {
    this.#add("deployer", deployer);
  }
  addRouter(router: Contribution<Router>): void {
    this.#add("router", router);
  }
  addCliCommand(command: Contribution<CliCommand>): void {
    this.#add("command", command);
  }
  addMaintenanceTask(task: Contribution<MaintenanceTask>): void {
    this.#add("maintenance task", task);
  }
  addAddon(addon: Contribution<Addon>): void {
    this.#add("addon", addon);
  }
  provide<T>(token: InjectionToken<T>, value: T): void {
    this.#container.register(token, { useValue: value });
  }

  /** Builders in the order auto mode asks them: priority, then registration order. */
  builders(): readonly Builder[] {
    return this.#resolve<Builder>("builder");
  }
  toolchains(): readonly LanguageToolchain[] {
    return this.#resolve<LanguageToolchain>("toolchain");
  }
  deployers(): readonly Deployer[] {
    return this.#resolve<Deployer>("deployer");
  }
  routers(): readonly Router[] {
    return this.#resolve<Router>("router");
  }
  cliCommands(): readonly CliCommand[] {
    return this.#resolve<CliCommand>("command");
  }
  maintenanceTasks(): readonly MaintenanceTask[] {
    return this.#resolve<MaintenanceTask>("maintenance task");
  }
  addons(): readonly Addon[] {
    return this.#resolve<Addon>("addon");
  }
  resolve<T>(token: InjectionToken<T>): T {
    return this.#container.resolve(token);
  }

  #add(kind: Kind, contribution: Contribution<unknown>): void {
    const owner = this.#currentPlugin;
    if (typeof contribution === "function") {
      this.#container.register(TOKEN[kind], { useClass: contribution as Constructor<object> }, { lifecycle: Lifecycle.ContainerScoped });
    } else if (typeof contribution === "object" && contribution !== null) {
      this.#container.register(TOKEN[kind], { useValue: contribution });
    } else {
      throw coreError("CONTRIBUTION_INVALID", `Plugin "${owner}" registered a ${kind} that is neither an object nor a class.`, {
        details: { plugin: owner, kind },
      });
    }
    this.#owners.set(kind, [...(this.#owners.get(kind) ?? []), owner]);
    this.#cache.delete(kind);
  }

  #resolve<T extends { name: unknown; priority?: number }>(kind: Kind): readonly T[] {
    const cached = this.#cache.get(kind);
    if (cached) return cached as T[];
    const owners = this.#owners.get(kind) ?? [];
    let instances: T[];
    try {
      instances = this.#container.isRegistered(TOKEN[kind], true) ? this.#container.resolveAll<T>(TOKEN[kind]) : [];
    } catch (error) {
      // A class contribution whose constructor throws, or that injects something nobody provides.
      throw coreError("CONTRIBUTION_INVALID", `A ${kind} of plugin ${owners.map((o) => `"${o}"`).join(" or ")} could not be created: ${(error as Error)?.message ?? error}`, {
        cause: error,
        details: { kind, plugins: owners },
      });
    }
    const seen = new Map<string, string>();
    instances.forEach((instance, i) => {
      const owner = owners[i] ?? "(unknown)";
      checkContribution(kind, instance, owner);
      const name = nameOf(instance);
      const other = seen.get(name);
      if (other !== undefined) {
        throw coreError("CONTRIBUTION_DUPLICATE_NAME", `Two ${kind}s are named "${name}": from plugin "${other}" and from plugin "${owner}".`, {
          details: { kind, name, plugins: [other, owner] },
        });
      }
      seen.set(name, owner);
    });
    const ordered = instances
      .map((instance, index) => ({ instance, index }))
      .sort((a, b) => (a.instance.priority ?? 100) - (b.instance.priority ?? 100) || a.index - b.index)
      .map(({ instance }) => instance);
    this.#cache.set(kind, ordered);
    return ordered;
  }
}

const nameOf = (value: { name: unknown }) => (Array.isArray(value.name) ? value.name.join(" ") : String(value.name));

function checkContribution(kind: Kind, value: unknown, owner: string): void {
  const fail = (why: string) =>
    coreError("CONTRIBUTION_INVALID", `Plugin "${owner}" registered a ${kind} that ${why}.`, { details: { plugin: owner, kind } });
  const record = value as Record<string, unknown>;
  if (typeof value !== "object" || value === null) throw fail("is not an object");
  if (record.apiVersion !== 1) throw fail(record.apiVersion === undefined ? "declares no apiVersion (expected 1)" : `declares apiVersion ${JSON.stringify(record.apiVersion)} instead of 1`);
  const validName =
    kind === "command"
      ? Array.isArray(record.name) && record.name.length > 0 && record.name.every((word) => typeof word === "string" && /^[a-z][a-z0-9-]*$/.test(word))
      : typeof record.name === "string" && new RegExp(CONTRIBUTION_NAME_PATTERN).test(record.name);
  if (!validName) throw fail(`has an invalid name ${JSON.stringify(record.name)}`);
  for (const method of REQUIRED_METHODS[kind]) {
    if (typeof record[method] !== "function") throw fail(`has no ${method}() method`);
  }
  if (kind === "builder" && typeof record.usesToolchains !== "boolean") throw fail("does not say whether it uses toolchains (usesToolchains)");
  if (kind === "deployer") {
    const takes = record.takes;
    if (!Array.isArray(takes) || takes.length === 0) throw fail(`does not say which artifact shapes it takes (takes: ${ARTIFACT_SHAPES.map((s) => `"${s}"`).join(", ")})`);
    const unknown = takes.filter((shape) => !(ARTIFACT_SHAPES as readonly unknown[]).includes(shape));
    if (unknown.length > 0) throw fail(`takes unknown artifact shapes ${unknown.map((s) => JSON.stringify(s)).join(", ")} (known: ${ARTIFACT_SHAPES.join(", ")})`);
    const whenNamed = record.takesWhenNamed;
    if (whenNamed !== undefined && (!Array.isArray(whenNamed) || whenNamed.some((shape) => !(ARTIFACT_SHAPES as readonly unknown[]).includes(shape)))) {
      throw fail(`has takesWhenNamed that is not a list of artifact shapes (known: ${ARTIFACT_SHAPES.join(", ")})`);
    }
  }
}
