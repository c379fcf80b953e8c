import { dirname } from "node:path";
import type { PluginRequest } from "@hop3/core/cli";

/** Plugins asked for at run time, and the operator's directory their names resolve from first. */
export interface PluginSettings {
  readonly requests: readonly PluginRequest[];
  /** The directory of Hop3's config file, when there is one: `npm install --prefix` there installs plugins for it. */
  readonly configDir?: string;
}

/**
 * Reads the two places an operator names extra plugins, in this order: Hop3's config file
 * (`plugins`), then HOP3_PLUGINS (comma or space separated). Each is an npm package name or, for a
 * plugin under development, an absolute path or file: URL. A name given twice is loaded once,
 * where it is first named. Nothing in the current directory or an app's directory is read: a
 * package.json there names no code for Hop3 to load. Core's config reader (and zod with it) is
 * loaded here, when a command needs plugins, not when the program starts.
 */
export async function readPluginSettings(env: Readonly<Record<string, string | undefined>>): Promise<PluginSettings> {
  const { readHop3Config } = await import("@hop3/core");
  const requests: PluginRequest[] = [];
  const add = (names: readonly string[], origin: string) => {
    for (const name of names) if (!requests.some((r) => r.name === name)) requests.push({ name, origin });
  };
  const config = readHop3Config(env);
  if (config.file !== undefined) add(config.plugins, `${config.file} (plugins)`);
  add(env.HOP3_PLUGINS?.split(/[\s,]+/).filter((name) => name !== "") ?? [], "HOP3_PLUGINS");
  return { requests, ...(config.file !== undefined && { configDir: dirname(config.file) }) };
}
