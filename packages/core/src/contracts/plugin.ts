import type { PluginRegistry } from "../registry.js";

/**
 * A package's entry into a distribution. `register` adds its builders, toolchains, deployers and
 * CLI commands; nothing is registered by merely importing a module.
 */
export interface Hop3Plugin {
  /** Unique in a distribution; an npm package name is a good choice (e.g. "@hop3/builder-nix"). */
  readonly name: string;
  /** The contract version the plugin was written for; core refuses versions it does not support. */
  readonly apiVersion: number;
  readonly version?: string;
  readonly description?: string;
  register(registry: PluginRegistry): void;
}

/** Identity helper that gives plugin authors type inference and checking. */
export function definePlugin<const P extends Hop3Plugin>(plugin: P): P {
  return plugin;
}
