import type { PluginRegistry } from "../registry.js";
import type { SystemRequirement } from "./requirements.js";

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
  /** What the plugin needs on the server (programs, Debian packages), for `hop3 setup`. Optional. */
  readonly requirements?: readonly SystemRequirement[];
  register(registry: PluginRegistry): void;
}

/** Identity helper that gives plugin authors type inference and checking. */
export function definePlugin<const P extends Hop3Plugin>(plugin: P): P {
  return plugin;
}
