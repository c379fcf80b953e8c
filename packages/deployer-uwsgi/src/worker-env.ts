import { isAbsolute, resolve } from "node:path";
import { isValidEnvName } from "@hop3/core";
import { uwsgiError } from "./errors.js";
import type { PlannedInstance } from "./plan.js";

/** The variables Hop3 assigns to a worker; no layer can set them. */
export const ASSIGNED_NAMES = ["PORT", "BIND_ADDRESS", "HOP3_INSTANCE"] as const;

/** The layers of a worker's environment, lowest precedence first. */
export interface WorkerEnvLayers {
  /** The artifact's `runtime.env` (runtime.json, hop3.nix `env`, toolchains). */
  readonly artifact: Readonly<Record<string, string>>;
  /** hop3.toml `[env]`. */
  readonly app: Readonly<Record<string, string>>;
  /** Values set by the user for the app (`hop3 config set`). */
  readonly user: Readonly<Record<string, string>>;
  /**
   * What Hop3 assigns: BIND_ADDRESS always, PORT (see portOf), HOP3_INSTANCE
   * (`<app>_<worker>.<n>`) for each instance.
   */
  readonly assigned: { readonly BIND_ADDRESS: string; readonly PORT?: string; readonly HOP3_INSTANCE?: string };
}

/** A merged environment, and the assigned names some layer tried to set (for a warning). */
export interface MergedWorkerEnv {
  readonly env: Readonly<Record<string, string>>;
  /** Names in ASSIGNED_NAMES that a layer set: their values were dropped. */
  readonly overridden: readonly string[];
}

const LAYER_LABEL: Record<Exclude<keyof WorkerEnvLayers, "assigned">, string> = {
  artifact: "the artifact's runtime env",
  app: "hop3.toml [env]",
  user: "the app's config (hop3 config set)",
};

const isAssigned = (name: string): boolean => (ASSIGNED_NAMES as readonly string[]).includes(name);

/**
 * Merges a worker's environment, later wins: artifact < hop3.toml [env] < user config < what
 * Hop3 assigns. An assigned name is never taken from a layer, even where Hop3 assigns nothing
 * (no PORT for a non-web worker), so every instance sees the same rule. Every name must be a
 * POSIX name (UWSGI_ENV_NAME_INVALID) and no value may hold NUL (UWSGI_ENV_VALUE_INVALID); any
 * other byte is passed verbatim.
 */
export function mergeWorkerEnv(layers: WorkerEnvLayers): MergedWorkerEnv {
  const env: Record<string, string> = {};
  const overridden = new Set<string>();
  for (const layer of ["artifact", "app", "user"] as const) {
    for (const [name, value] of Object.entries(layers[layer])) {
      checkVariable(name, value, LAYER_LABEL[layer]);
      if (isAssigned(name)) overridden.add(name);
      else env[name] = value;
    }
  }
  for (const [name, value] of Object.entries(layers.assigned)) if (value !== undefined) env[name] = value;
  return { env, overridden: ASSIGNED_NAMES.filter((name) => overridden.has(name)) };
}

/** The port key of an app that runs no web instance: its workers still get a PORT (nothing listens on it). */
export const APP_PORT_KEY = "app";

/**
 * The keys that get a port: each web instance (`web.1`, `web.2`...), or the app's own
 * (APP_PORT_KEY) when it runs workers but no web instance.
 */
export function portKeys(instances: readonly PlannedInstance[]): string[] {
  const web = instances.filter((instance) => instance.web).map((instance) => instance.key);
  return web.length > 0 || instances.length === 0 ? web : [APP_PORT_KEY];
}

/**
 * The PORT an instance gets. Every worker has one, as Hop3 always gave (runtime.json's `$PORT`
 * is "the port assigned by Hop3", in any worker's command): a web instance its own, which it
 * listens on and is routed to; any other worker the app's port (its first web instance's, else
 * the app's own), which it may read but never listens on.
 */
export function portOf(instance: PlannedInstance, ports: Readonly<Record<string, number>>): number | undefined {
  return instance.web ? ports[instance.key] : (ports["web.1"] ?? ports[APP_PORT_KEY]);
}

/** Raises the coded error for a name or value that cannot reach a process unchanged. */
export function checkVariable(name: string, value: string, origin: string): void {
  if (!isValidEnvName(name)) {
    throw uwsgiError("UWSGI_ENV_NAME_INVALID", `${origin} sets ${JSON.stringify(name)}, which is not a valid environment variable name.`, {
      details: { name, origin },
    });
  }
  if (value.includes("\0")) {
    throw uwsgiError("UWSGI_ENV_VALUE_INVALID", `${origin} sets ${name} to a value containing a NUL character.`, { details: { name, origin } });
  }
}

/**
 * The variables of the Hop3 process the emperor starts with (and so every worker): the names
 * allowed, when set. Read once, when the emperor starts.
 */
export function inheritedEnv(env: Readonly<Record<string, string | undefined>>, names: readonly string[]): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined) inherited[name] = value;
  }
  return inherited;
}

/**
 * The artifact's PATH entries, absolute (a relative one is taken from the working directory).
 * An entry holding `:` would split in two on PATH: UWSGI_PATH_UNSAFE.
 */
export function resolvePathPrepend(entries: readonly string[], workingDir: string): string[] {
  return entries.map((entry) => {
    if (entry.includes(":") || entry.includes("\0")) {
      throw uwsgiError("UWSGI_PATH_UNSAFE", `The artifact's PATH entry ${JSON.stringify(entry)} contains ${entry.includes(":") ? '":"' : "a NUL character"}, which PATH cannot hold.`, {
        details: { path: entry },
      });
    }
    return isAbsolute(entry) ? entry : resolve(workingDir, entry);
  });
}
