import { realpathSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { isInside, type AppSource } from "@hop3/core";
import { APP_ALLOWED_URI, APP_NIX_SETTINGS } from "./app-settings.js";
import { nixError } from "./errors.js";
import type { ResolvedNixOptions } from "./options.js";

/** The file the Nix builder builds, at the root of the app directory. */
export const NIX_FILE = "hop3.nix";

/** Where every store path lives; an include may name one. */
export const NIX_STORE = "/nix/store";

/**
 * The search path entry that holds the copy of the app's sources. Evaluation is restricted to the
 * search path, so the copy must be in it; under a name of its own, so that `<nixpkgs>` is never
 * looked up in the app's files.
 */
export const SOURCE_SEARCH_PATH_NAME = "hop3-app";

/** What every nix command of one build shares: where it runs, its search path and settings, its time limit. */
export interface NixBuildSettings {
  /** Where nix runs: the copy of the app's sources its user builds (relative paths in hop3.nix resolve there). */
  readonly cwd: string;
  /** `-I` entries, in order: the server's, the app's (paths inside the app named in the copy), then the copy itself. */
  readonly searchPath: readonly string[];
  /** `--option` settings after Hop3's `restrict-eval true`: the app's, then the server's over them. */
  readonly options: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** hop3.toml `[nix] include` entries that name a place in the copy: checked again once the copy is made. */
  readonly copiedIncludes: readonly CopiedInclude[];
}

/** An `[nix] include` entry of the app that names a path inside the app, and where that path is in the copy. */
export interface CopiedInclude {
  /** The entry as hop3.toml wrote it. */
  readonly entry: string;
  /** The same place in the copy of the sources. */
  readonly path: string;
}

/**
 * Merges hop3.toml `[nix]` with the builder's options, for a build in `sourceDir` (the copy of the
 * app's sources), before anything is copied or run. Evaluation is restricted (`restrict-eval`) to
 * the copy and the search path. The app's options must be on the allow-list (APP_NIX_SETTINGS) and
 * its include paths inside the app or the Nix store; the builder's (the server's) are not checked,
 * and win: its `-I` entries come first (nix takes the first match) and its `--option` values come
 * last (the last one counts), so the server may even turn `restrict-eval` off.
 */
export function buildSettings(app: AppSource, options: ResolvedNixOptions, sourceDir: string): NixBuildSettings {
  const section = app.config.toml.nix ?? {};
  const appOptions = section.options ?? {};
  for (const [name, value] of Object.entries(appOptions)) checkAppOption(app, name, value);
  const appIncludes = (section.include ?? []).map((entry) => appInclude(app, entry, sourceDir));
  return {
    cwd: sourceDir,
    searchPath: [...options.include, ...appIncludes.map((include) => include.argument), `${SOURCE_SEARCH_PATH_NAME}=${sourceDir}`],
    options: { ...appOptions, ...options.options },
    timeoutMs: Math.round((section.timeout ?? options.timeoutSeconds) * 1000),
    copiedIncludes: appIncludes.flatMap((include) => (include.copied ? [{ entry: include.entry, path: include.copied }] : [])),
  };
}

/** The arguments every nix command of the build gets after its own. */
export const nixArguments = (settings: NixBuildSettings): string[] => [
  "--option",
  "restrict-eval",
  "true",
  ...settings.searchPath.flatMap((entry) => ["-I", entry]),
  ...Object.entries(settings.options).flatMap(([name, value]) => ["--option", name, value]),
];

function checkAppOption(app: AppSource, name: string, value: string): void {
  const details = { app: app.name, option: name, allowed: APP_NIX_SETTINGS, file: app.config.files.hop3Toml };
  if (!APP_NIX_SETTINGS.includes(name)) {
    throw nixError(
      "NIX_OPTION_NOT_ALLOWED",
      `hop3.toml [nix] options sets "${name}", which an app may not set: only settings that can neither run a program as another user nor read outside the app are allowed (${APP_NIX_SETTINGS.join(", ")}).`,
      { details },
    );
  }
  const uris = name === "allowed-uris" ? value.split(/\s+/).filter(Boolean) : [];
  const local = uris.find((uri) => !APP_ALLOWED_URI.test(uri));
  if (local !== undefined) {
    throw nixError("NIX_OPTION_NOT_ALLOWED", `hop3.toml [nix] options sets "allowed-uris" to ${JSON.stringify(value)}: "${local}" is not an http:// or https:// prefix, and would let evaluation read files of the server.`, {
      hint: 'An app\'s `allowed-uris` may hold only http:// and https:// prefixes (e.g. "https://github.com/NixOS/nixpkgs/archive/"). Put the files the build needs inside the app instead.',
      details: { ...details, value },
    });
  }
}

/** Nix fetches these search path entries itself (nix-build's `isPseudoUrl`, less `file://`, which reads the server's files). */
const NETWORK_ENTRY = /^(channel:|(https?|git|ssh|s3):\/\/)/;

/**
 * One `[nix] include` entry of the app, as it is passed to nix. URLs and `channel:` entries pass
 * as they are. A path is resolved against the original app directory; inside it, it becomes the
 * same place in the copy (which the app's user can read), inside the Nix store it is kept, and
 * anywhere else it is NIX_INCLUDE_NOT_ALLOWED.
 */
function appInclude(app: AppSource, entry: string, sourceDir: string): { entry: string; argument: string; copied?: string } {
  // Nix splits an entry at its first `=`: `name=path`, or a bare path.
  const equals = entry.indexOf("=");
  const prefix = equals >= 0 ? entry.slice(0, equals + 1) : "";
  const value = equals >= 0 ? entry.slice(equals + 1) : entry;
  if (NETWORK_ENTRY.test(value)) return { entry, argument: entry };
  const refuse = (why: string) =>
    nixError("NIX_INCLUDE_NOT_ALLOWED", `hop3.toml [nix] include has "${entry}", ${why}: an app's entries may name only paths inside the app (${app.dir}) or the Nix store, URLs and channel: entries.`, {
      details: { app: app.name, entry, file: app.config.files.hop3Toml },
    });
  if (value === "") throw refuse("which names no path");
  if (/^[a-z][a-z0-9+.-]*:/i.test(value)) throw refuse("a URL that reads files of the server");
  const path = resolve(app.dir, value);
  if (isInside(path, NIX_STORE)) {
    const real = realPath(path);
    if (real !== undefined && !isInside(real, NIX_STORE)) throw refuse(`a link to ${real}`);
    return { entry, argument: prefix + path };
  }
  for (const root of new Set([app.dir, realPath(app.dir) ?? app.dir])) {
    if (!isInside(path, root)) continue;
    const copied = join(sourceDir, relative(root, path));
    return { entry, argument: prefix + copied, copied };
  }
  throw refuse(`which is ${path}, outside the app`);
}

/**
 * Once the sources are copied: an include that names a link in the app must not lead out of it
 * (`vendor -> /etc` is refused like `/etc` itself; an entry that does not exist is left to nix, which
 * warns and ignores it). Then every path of the search path, the copy included, is given as its real
 * path: restricted evaluation allows what the search path names, then checks every file it reads by
 * its real path, so a link in the search path (a channel, `~/.nix-defexpr/channels`, a HOP3_HOME under
 * a linked directory) would make its own files forbidden. A /nix/store path also allows what it
 * refers to.
 */
export function resolveSearchPath(app: AppSource, settings: NixBuildSettings): NixBuildSettings {
  const root = realPath(settings.cwd) ?? settings.cwd;
  for (const include of settings.copiedIncludes) {
    const real = realPath(include.path);
    if (real === undefined || isInside(real, root) || isInside(real, NIX_STORE)) continue;
    const shown = join(app.dir, relative(settings.cwd, include.path));
    throw nixError("NIX_INCLUDE_NOT_ALLOWED", `hop3.toml [nix] include has "${include.entry}": ${shown} is a link to ${real}, outside the app and the Nix store.`, {
      details: { app: app.name, entry: include.entry, target: real, file: app.config.files.hop3Toml },
    });
  }
  return { ...settings, cwd: root, searchPath: settings.searchPath.map(realEntry) };
}

/**
 * The search path the server gives every build (NIX_PATH, else Nix's default: the channels of the
 * user running Hop3 and root's), each path as its real path (see resolveSearchPath), as a NIX_PATH
 * value. `ownHome` is the HOME whose `.nix-defexpr/channels` Nix would add by default: Hop3's own,
 * never an app user's (the app writes it).
 */
export function serverNixPath(env: Readonly<Record<string, string | undefined>>, ownHome: string | undefined): string {
  const entries =
    env.NIX_PATH !== undefined
      ? splitNixPath(env.NIX_PATH)
      : [
          ...(ownHome ? [join(ownHome, ".nix-defexpr", "channels")] : []),
          `nixpkgs=${join(env.NIX_STATE_DIR || "/nix/var/nix", "profiles", "per-user", "root", "channels", "nixpkgs")}`,
          join(env.NIX_STATE_DIR || "/nix/var/nix", "profiles", "per-user", "root", "channels"),
        ].filter((entry) => realPath(entry.slice(entry.indexOf("=") + 1)) !== undefined);
  return entries.map(realEntry).join(":");
}

/** Splits NIX_PATH as Nix does: at `:`, except the one that follows a URL's scheme (`nixpkgs=https://...`, `channel:...`). */
export function splitNixPath(value: string): string[] {
  const entries: string[] = [];
  for (let start = 0; start < value.length; ) {
    let end = value.indexOf(":", start);
    if (end < 0) end = value.length;
    const valueStart = start + value.slice(start, end).lastIndexOf("=") + 1;
    if (end < value.length && PSEUDO_URL.test(value.slice(valueStart))) {
      end = value.indexOf(":", end + 1);
      if (end < 0) end = value.length;
    }
    if (end > start) entries.push(value.slice(start, end));
    start = end + 1;
  }
  return entries;
}

/** What Nix takes for a URL in a search path (its `isPseudoUrl`). */
const PSEUDO_URL = /^(channel:|(https?|file|git|s3|ssh):\/\/)/;

/** A search path entry with its path, when it is an absolute path that exists, replaced by its real path. */
function realEntry(entry: string): string {
  const equals = entry.indexOf("=");
  const prefix = equals >= 0 ? entry.slice(0, equals + 1) : "";
  const value = equals >= 0 ? entry.slice(equals + 1) : entry;
  if (!value.startsWith("/")) return entry;
  return prefix + (realPath(value) ?? value);
}

function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
