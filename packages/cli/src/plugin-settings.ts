import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { PluginRequest } from "@hop3/core";
import { cliError } from "./errors.js";

/** Plugins asked for at run time, and the project directory their names resolve from first. */
export interface PluginSettings {
  readonly requests: readonly PluginRequest[];
  /** The directory of the nearest package.json above cwd, else cwd. */
  readonly projectDir: string;
}

/** `$XDG_CONFIG_HOME/hop3/config.json`, else `~/.config/hop3/config.json`. */
export function userConfigFile(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const base = env.XDG_CONFIG_HOME || (env.HOME ? join(env.HOME, ".config") : undefined);
  return base ? join(base, "hop3", "config.json") : undefined;
}

/**
 * Reads the three places that name extra plugins, in this order: the project's package.json
 * (`hop3.plugins`), the user config file (`plugins`), then HOP3_PLUGINS (comma or space separated).
 * A name given twice is loaded once, where it is first named.
 */
export function readPluginSettings(cwd: string, env: Readonly<Record<string, string | undefined>>): PluginSettings {
  const requests: PluginRequest[] = [];
  const add = (names: readonly string[], origin: string) => {
    for (const name of names) if (!requests.some((r) => r.name === name)) requests.push({ name, origin });
  };

  const manifest = findPackageJson(resolve(cwd));
  if (manifest) {
    const hop3 = readJson(manifest, "package.json").hop3 as Record<string, unknown> | undefined;
    if (hop3 !== undefined && hop3 !== null && typeof hop3 === "object" && "plugins" in hop3) {
      add(nameList(hop3.plugins, manifest, "hop3.plugins"), `${manifest} (hop3.plugins)`);
    }
  }
  const config = userConfigFile(env);
  if (config && existsSync(config)) {
    const data = readJson(config, "the user config file");
    if ("plugins" in data) add(nameList(data.plugins, config, "plugins"), `${config} (plugins)`);
  }
  const fromEnv = env.HOP3_PLUGINS?.split(/[\s,]+/).filter((name) => name !== "") ?? [];
  add(fromEnv, "HOP3_PLUGINS");
  return { requests, projectDir: manifest ? dirname(manifest) : resolve(cwd) };
}

function findPackageJson(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function readJson(file: string, what: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw cliError("PLUGIN_SETTING_INVALID", `${file} (${what}) is not valid JSON: ${(error as Error).message}`, { cause: error, details: { file } });
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw cliError("PLUGIN_SETTING_INVALID", `${file} (${what}) does not hold a JSON object.`, { details: { file } });
  }
  return data as Record<string, unknown>;
}

function nameList(value: unknown, file: string, key: string): string[] {
  if (!Array.isArray(value) || !value.every((name) => typeof name === "string" && name.trim() !== "")) {
    throw cliError("PLUGIN_SETTING_INVALID", `${key} in ${file} is ${JSON.stringify(value)}; expected a list of npm package names.`, {
      details: { file, key },
    });
  }
  return value.map((name: string) => name.trim());
}
