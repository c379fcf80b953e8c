import type { AppSource } from "@hop3/core";
import { nixError } from "./errors.js";
import { absoluteInclude, type ResolvedNixOptions } from "./options.js";

/** The file the Nix builder builds, at the root of the app directory. */
export const NIX_FILE = "hop3.nix";

/** What every nix command of one build shares: where it runs, its extra arguments, its time limit. */
export interface NixBuildSettings {
  /** The app directory, where nix runs (relative paths in hop3.nix and NIX_PATH resolve there). */
  readonly cwd: string;
  /** `-I` and `--option` arguments appended to each nix command. */
  readonly extraArgs: readonly string[];
  readonly timeoutMs: number;
}

/**
 * Settings that make Nix run a program as the user running Hop3 (root, on a single-user install) or
 * change the build user. An app may not set them from hop3.toml; the builder's options may.
 */
const SERVER_ONLY_SETTINGS = new Set([
  "build-hook",
  "pre-build-hook",
  "post-build-hook",
  "diff-hook",
  "run-diff-hook",
  "build-users-group",
  "plugin-files",
  "trusted-users",
  "allowed-users",
]);

/**
 * Merges hop3.toml `[nix]` with the builder's options. The builder's (the server's) settings win:
 * its `-I` entries come first (nix takes the first match) and its `--option` values replace the app's.
 */
export function buildSettings(app: AppSource, options: ResolvedNixOptions): NixBuildSettings {
  const section = app.config.toml.nix ?? {};
  const appOptions = section.options ?? {};
  for (const name of Object.keys(appOptions)) {
    if (SERVER_ONLY_SETTINGS.has(name.replace(/^extra-/, ""))) {
      throw nixError("NIX_OPTION_NOT_ALLOWED", `hop3.toml [nix] options sets "${name}", which only the server may set.`, {
        details: { app: app.name, option: name, file: app.config.files.hop3Toml },
      });
    }
  }
  const includes = [...options.include, ...(section.include ?? []).map((entry) => absoluteInclude(entry, app.dir))];
  const settings = { ...appOptions, ...options.options };
  return {
    cwd: app.dir,
    extraArgs: [...includes.flatMap((entry) => ["-I", entry]), ...Object.entries(settings).flatMap(([name, value]) => ["--option", name, value])],
    timeoutMs: Math.round((section.timeout ?? options.timeoutSeconds) * 1000),
  };
}
