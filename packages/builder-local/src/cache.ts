import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ensureDir, writeFileAtomic, type ToolchainBuildContext } from "@hop3/core";
import { appDir, hop3Dir, lstatOrUndefined, removeAppTree, type AppTreeContext } from "./app-files.js";

/** Names of cache entries and records: one path segment, never hidden (`.hop3` is Hop3's own). */
const CACHE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** The directory of records in each toolchain's cache directory: root's alone. */
const RECORDS = ".hop3";

/**
 * An app's caches, kept across releases under `<app>/cache/<toolchain>/`. The directories are
 * root's (the app's group may pass); each entry (a virtualenv, Go's module cache) is made by root
 * and handed to the app before the app fills it; the records of what an entry holds (a virtualenv
 * is complete, node_modules was installed from this lockfile) are root's files in a directory of
 * root's, so nothing an app installs can plant a link where Hop3 writes.
 */
export interface AppCache {
  /** `<app>/cache`. */
  readonly root: string;
  /** The path of an entry, without making it. */
  path(toolchain: string, name: string): string;
  /** An entry the app fills: made (or put right) as the app's own directory, mode 0750. Returns its path. */
  entry(toolchain: string, name: string): string;
  /** True when the entry exists as a directory (a link there is not one). */
  hasEntry(toolchain: string, name: string): boolean;
  /** Removes an entry: its contents as the app, then the emptied directory as root. */
  removeEntry(toolchain: string, name: string): Promise<void>;
  /** A record's text, or undefined when there is none. */
  readRecord(toolchain: string, name: string): string | undefined;
  writeRecord(toolchain: string, name: string, text: string): void;
  removeRecord(toolchain: string, name: string): void;
  /** The names of a toolchain's records. */
  records(toolchain: string): string[];
  /**
   * Writes a file of Hop3's that the app's tools read (Maven's settings), in the toolchain's
   * directory, which the app cannot write: root's, mode 0644. Returns its path.
   */
  writeSetting(toolchain: string, name: string, text: string): string;
}

/** Makes the cache of one app; directories are made on first use, with the modes above every time. */
export function createAppCache(appStateDir: string, context: AppTreeContext): AppCache {
  const root = join(appStateDir, "cache");
  const user = context.appUser;
  const toolchainDir = (toolchain: string): string => {
    checkName(toolchain);
    ensureDir(root, hop3Dir(user));
    const dir = join(root, toolchain);
    ensureDir(dir, hop3Dir(user));
    return dir;
  };
  const recordsDir = (toolchain: string): string => {
    const dir = join(toolchainDir(toolchain), RECORDS);
    ensureDir(dir, hop3Dir(user, 0o700));
    return dir;
  };
  const path = (toolchain: string, name: string): string => join(root, toolchain, checkName(name));
  return {
    root,
    path,
    entry(toolchain, name) {
      const entry = join(toolchainDir(toolchain), checkName(name));
      ensureDir(entry, appDir(user));
      return entry;
    },
    hasEntry: (toolchain, name) => lstatOrUndefined(path(toolchain, name))?.isDirectory() === true,
    removeEntry: (toolchain, name) => removeAppTree(context, path(toolchain, name)),
    readRecord(toolchain, name) {
      const file = join(root, toolchain, RECORDS, checkName(name));
      if (lstatOrUndefined(file)?.isFile() !== true) return undefined;
      return readFileSync(file, "utf8");
    },
    writeRecord: (toolchain, name, text) => writeFileAtomic(join(recordsDir(toolchain), checkName(name)), text),
    removeRecord: (toolchain, name) => rmSync(join(root, toolchain, RECORDS, checkName(name)), { force: true }),
    writeSetting(toolchain, name, text) {
      const file = join(toolchainDir(toolchain), checkName(name));
      writeFileAtomic(file, text, 0o644);
      return file;
    },
    records(toolchain) {
      try {
        return readdirSync(join(root, checkName(toolchain), RECORDS)).filter((name) => CACHE_NAME.test(name));
      } catch {
        return [];
      }
    },
  };
}

function checkName(name: string): string {
  if (!CACHE_NAME.test(name)) throw new Error(`"${name}" is not a cache name: one path segment of letters, digits, _ . -, not starting with a dot`);
  return name;
}

/** What the Local builder gives its toolchains besides core's ToolchainBuildContext. */
export interface LocalToolchainBuildContext extends ToolchainBuildContext {
  /** The app's caches. */
  readonly cache: AppCache;
}

/**
 * The app's caches, from the context the Local builder made. The built-in toolchains keep caches
 * and so run under the Local builder only; any other builder gets an error naming the toolchain.
 */
export function cacheOf(context: ToolchainBuildContext, toolchain: string): AppCache {
  const cache = (context as Partial<LocalToolchainBuildContext>).cache;
  if (cache === undefined) throw new Error(`the ${toolchain} toolchain of @hop3/builder-local runs under the Local builder only (its context has no app cache)`);
  return cache;
}
