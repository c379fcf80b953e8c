import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SUPPORTED_API_VERSIONS } from "./contracts/common.js";
import type { Hop3Plugin } from "./contracts/plugin.js";
import { coreError } from "./error-codes.js";
import { Hop3Error } from "./errors.js";

/** A plugin asked for by name, and where it was asked (shown in messages and by `hop3 plugins`). */
export interface PluginRequest {
  /**
   * An npm package name, e.g. "hop3-plugin-markdown" or "@acme/hop3-builder"; or, for a plugin
   * under development, the absolute path (or file: URL) of its package directory or entry file.
   */
  readonly name: string;
  /** Where the name was found: "HOP3_PLUGINS", "/srv/app/package.json (hop3.plugins)"... */
  readonly origin: string;
}

/** A plugin loaded from a package, with where it was asked for. */
export interface LoadedPlugin {
  readonly plugin: Hop3Plugin;
  readonly origin: string;
  /** The file that was imported. */
  readonly entry: string;
}

export interface LoadPluginOptions {
  /**
   * Directories (or file URLs) to resolve the package from, first wins: usually the project's
   * directory, then the distribution's own location. Each is searched like Node does, walking up
   * through `node_modules` directories.
   */
  readonly searchFrom: readonly (string | URL)[];
}

/** The exports a plugin package may provide, in the order they are looked at. */
export const PLUGIN_EXPORTS = ["hop3Plugin", "default"] as const;

const NAME_PATTERN = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/**
 * Loads plugins named by npm package, in order. Each package must export `hop3Plugin` or a default
 * that is a Hop3Plugin, or a factory returning one (called with no options). Raises
 * PLUGIN_NOT_FOUND, PLUGIN_IMPORT_FAILED, PLUGIN_INVALID or PLUGIN_API_VERSION_UNSUPPORTED naming the
 * package and where it was asked for.
 */
export async function loadPlugins(requests: readonly PluginRequest[], options: LoadPluginOptions): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const request of requests) loaded.push(await loadPlugin(request, options));
  return loaded;
}

export async function loadPlugin(request: PluginRequest, options: LoadPluginOptions): Promise<LoadedPlugin> {
  const { name, origin } = request;
  const who = `Plugin package "${name}" (from ${origin})`;
  let entry: string | undefined;
  if (isAbsolute(name) || name.startsWith("file:")) {
    entry = resolvePathEntry(name, who, origin);
  } else {
    if (!NAME_PATTERN.test(name)) {
      throw coreError("PLUGIN_NOT_FOUND", `${who} is neither an npm package name nor an absolute path.`, {
        // A relative path would resolve against the current directory, often an app's: never.
        hint: 'Name the package as npm does: "hop3-plugin-x" or "@scope/hop3-plugin-x"; or, for a plugin under development, give the absolute path of its package directory.',
        details: { plugin: name, origin },
      });
    }
    const dirs = options.searchFrom.map(toDirectory);
    entry = resolvePackage(name, dirs);
    if (entry === undefined) {
      throw coreError("PLUGIN_NOT_FOUND", `${who} is not installed: looked in ${dirs.join(" and ")} and their parents' node_modules.`, {
        details: { plugin: name, origin, searched: dirs },
      });
    }
  }

  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  } catch (error) {
    throw coreError("PLUGIN_IMPORT_FAILED", `${who} could not be imported from ${entry}: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
      details: { plugin: name, origin, entry },
    });
  }

  const exported = PLUGIN_EXPORTS.map((key) => module[key]).find((value) => value !== undefined);
  let candidate: unknown = exported;
  if (typeof exported === "function" && !isPluginShaped(exported)) {
    try {
      candidate = await (exported as () => unknown)();
    } catch (error) {
      if (Hop3Error.is(error)) throw error; // OPTIONS_INVALID and the like, meant for the user
      throw coreError("PLUGIN_INVALID", `${who}: its plugin factory failed: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
        details: { plugin: name, origin, entry },
      });
    }
  }
  const expected = `expected it to export \`hop3Plugin\` or a default that is a Hop3 plugin ({ name, apiVersion, register }) or a factory returning one`;
  if (!isPluginShaped(candidate)) {
    const found = exported === undefined ? `exports ${Object.keys(module).map((k) => `\`${k}\``).join(", ") || "nothing"}` : `its export gave ${describe(candidate)}`;
    throw coreError("PLUGIN_INVALID", `${who} is not a Hop3 plugin: ${found}; ${expected}.`, {
      details: { plugin: name, origin, entry, exports: Object.keys(module) },
    });
  }
  const plugin = candidate as Hop3Plugin;
  if (typeof plugin.apiVersion !== "number" || !SUPPORTED_API_VERSIONS.includes(plugin.apiVersion)) {
    throw coreError(
      "PLUGIN_API_VERSION_UNSUPPORTED",
      `${who} ${plugin.apiVersion === undefined ? "declares no apiVersion" : `declares apiVersion ${JSON.stringify(plugin.apiVersion)}`}; this @hop3/core supports ${SUPPORTED_API_VERSIONS.join(", ")}.`,
      { details: { plugin: name, origin, apiVersion: plugin.apiVersion, supported: SUPPORTED_API_VERSIONS } },
    );
  }
  return { plugin, origin, entry };
}

function isPluginShaped(value: unknown): boolean {
  const record = value as Record<string, unknown> | null;
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof record!.register === "function" && typeof record!.name === "string";
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value === "function" ? "a function" : `a ${typeof value}`;
  const keys = Object.keys(value);
  return `an object with ${keys.length > 0 ? keys.map((k) => `\`${k}\``).join(", ") : "no keys"}`;
}

/**
 * The file to import for a plugin given by path: a file as it is, a package directory through its
 * package.json (`exports`, then `main`, then index.js).
 */
function resolvePathEntry(name: string, who: string, origin: string): string {
  let path: string;
  try {
    path = name.startsWith("file:") ? fileURLToPath(name) : name;
  } catch (error) {
    throw coreError("PLUGIN_NOT_FOUND", `${who} is not a valid file: URL.`, { cause: error, details: { plugin: name, origin } });
  }
  const missing = (what: string) =>
    coreError("PLUGIN_NOT_FOUND", `${who}: ${what}.`, {
      hint: "Give the absolute path of the plugin's package directory (with its package.json, built: `npm run build`) or of its entry file.",
      details: { plugin: name, origin, path },
    });
  if (!existsSync(path)) throw missing(`nothing is at ${path}`);
  if (!statSync(path).isDirectory()) return path;
  let manifest: { exports?: unknown; main?: string };
  try {
    manifest = JSON.parse(readFileSync(join(path, "package.json"), "utf8")) as typeof manifest;
  } catch {
    throw missing(`${path} has no readable package.json`);
  }
  const exports = manifest.exports as Record<string, unknown> | string | undefined;
  const root = typeof exports === "object" && exports !== null && "." in exports ? exports["."] : exports;
  const entry = join(path, pickCondition(root, ["import", "node", "default"]) ?? manifest.main ?? "index.js");
  if (!existsSync(entry)) throw missing(`its entry ${entry} does not exist (is it built?)`);
  return entry;
}

function toDirectory(from: string | URL): string {
  if (from instanceof URL || from.startsWith("file:")) {
    const path = fileURLToPath(from);
    // A module URL (import.meta.url) stands for the directory it is in.
    return /\.[cm]?[jt]s$/.test(path) ? dirname(path) : path;
  }
  return resolve(from);
}

/**
 * The file `import(name)` would load from `dir`. Node's own resolver first (it honours `exports`
 * and the process's --conditions); packages that export only an "import" condition are read by hand.
 */
function resolvePackage(name: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    const require = createRequire(join(dir, "noop.js"));
    try {
      return require.resolve(name);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") continue;
    }
    const manual = resolveImportEntry(name, dir);
    if (manual) return manual;
  }
  return undefined;
}

function resolveImportEntry(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const packageDir = join(dir, "node_modules", name);
    try {
      const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { exports?: unknown };
      const exports = manifest.exports as Record<string, unknown> | string | undefined;
      const root = typeof exports === "object" && exports !== null && "." in exports ? exports["."] : exports;
      const target = pickCondition(root, ["import", "node", "default"]);
      return target ? join(packageDir, target) : undefined;
    } catch {
      // not here: keep walking up
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function pickCondition(target: unknown, conditions: readonly string[]): string | undefined {
  if (typeof target === "string") return target;
  if (Array.isArray(target)) return target.map((t) => pickCondition(t, conditions)).find(Boolean);
  if (typeof target !== "object" || target === null) return undefined;
  for (const [key, value] of Object.entries(target)) {
    if (conditions.includes(key)) {
      const found = pickCondition(value, conditions);
      if (found) return found;
    }
  }
  return undefined;
}
