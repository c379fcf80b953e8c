import { spawn, spawnSync } from "node:child_process";
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, posix, resolve } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Ignore } from "ignore";
import { UsageError } from "@hop3/core/cli";
import { ignoreRules, tarStream } from "./commonjs.js";

/** Never sent: the repository's own store (a git HEAD upload sends the commit's files, not its history). */
const ALWAYS_LEFT_OUT = [".git"];

/** Files are read 1 MiB at a time: at 64 KiB (the default) a large app costs sixteen times the stream hops. */
const READ_CHUNK = 1024 ** 2;

/** One ignore file's rules, for the paths under the directory that holds it. */
interface Rules {
  /** Its directory, relative to the app's ("" for the app's own). */
  readonly base: string;
  readonly rules: Ignore;
}

function readRules(dir: string, base: string, file: string): Rules | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, base, file), "utf8");
  } catch {
    return undefined;
  }
  return { base, rules: ignoreRules().add(text) };
}

/**
 * Whether a path (relative to the app, `/`-separated, a directory ending in `/`) is left out: as git
 * does, the deepest .gitignore that says something about it decides, and the app's .hop3ignore
 * comes last, so it can leave out more or bring back (`!dist/`) what git ignores.
 */
function leftOut(path: string, chain: readonly Rules[]): boolean {
  let ignored = false;
  for (const { base, rules } of chain) {
    const result = rules.test(base === "" ? path : posix.relative(base, path) + (path.endsWith("/") ? "/" : ""));
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

/** An entry of the app as it is packed: a file, a directory or a symbolic link. */
export interface SourceEntry {
  /** Relative to the app directory, `/`-separated; a directory ends in `/`. */
  readonly path: string;
  readonly type: "file" | "directory" | "symlink";
}

/**
 * What of an app directory is uploaded, in order (a directory before what it holds): everything but
 * `.git` and what its .gitignore files and .hop3ignore leave out. Sockets, FIFOs and devices are
 * never sources. Links are kept as links, never followed.
 */
export function sourceEntries(dir: string): SourceEntry[] {
  const root = resolve(dir);
  const hop3ignore = readRules(root, "", ".hop3ignore");
  const entries: SourceEntry[] = [];
  const walk = (rel: string, chain: readonly Rules[]) => {
    const own = readRules(root, rel, ".gitignore");
    const here = own ? [...chain.filter((r) => r !== hop3ignore), own, ...(hop3ignore ? [hop3ignore] : [])] : chain;
    for (const name of readdirSync(join(root, rel)).sort()) {
      if (rel === "" && ALWAYS_LEFT_OUT.includes(name)) continue;
      const path = rel === "" ? name : `${rel}/${name}`;
      const stat = lstatSync(join(root, path));
      if (stat.isDirectory()) {
        if (leftOut(`${path}/`, here)) continue;
        entries.push({ path: `${path}/`, type: "directory" });
        walk(path, here);
      } else if ((stat.isFile() || stat.isSymbolicLink()) && !leftOut(path, here)) {
        entries.push({ path, type: stat.isFile() ? "file" : "symlink" });
      }
    }
  };
  walk("", hop3ignore ? [hop3ignore] : []);
  return entries;
}

/** What an upload is made of. */
export interface PackOptions {
  /** Send the files of the git commit HEAD instead of the working tree (`git archive`). */
  readonly gitHead?: boolean;
  readonly signal?: AbortSignal;
}

/** The app directory as a plain tar stream, as `hop3 deploy --receive` reads it. */
export function packSource(dir: string, options: PackOptions = {}): Readable {
  return options.gitHead ? gitArchive(resolve(dir), options.signal) : packTree(resolve(dir));
}

function packTree(root: string): Readable {
  const pack = tarStream().pack();
  const out = new PassThrough();
  pack.on("error", (error: Error) => out.destroy(error));
  pack.pipe(out);
  void (async () => {
    try {
      for (const entry of sourceEntries(root)) {
        const full = join(root, entry.path);
        const stat = lstatSync(full);
        const header = { name: entry.path, mode: stat.mode & 0o777, mtime: stat.mtime };
        if (entry.type === "directory") pack.entry({ ...header, type: "directory" });
        else if (entry.type === "symlink") pack.entry({ ...header, type: "symlink", linkname: readlinkSync(full) });
        else await pipeline(createReadStream(full, { highWaterMark: READ_CHUNK }), pack.entry({ ...header, type: "file", size: stat.size }));
      }
      pack.finalize();
    } catch (error) {
      pack.destroy(error as Error);
    }
  })();
  return out;
}

/** `git archive` of HEAD, or of HEAD's subdirectory when the app lives inside a larger repository. */
function gitArchive(dir: string, signal?: AbortSignal): Readable {
  const prefix = spawnSync("git", ["-C", dir, "rev-parse", "--show-prefix"], { encoding: "utf8" });
  if (prefix.status !== 0) throw new UsageError(`--head sends the last commit of a git repository, and ${dir} is in none (git: ${(prefix.stderr || prefix.error?.message || "").trim()}).`);
  const treeish = prefix.stdout.trim() === "" ? "HEAD" : `HEAD:${prefix.stdout.trim().replace(/\/$/, "")}`;
  const out = new PassThrough();
  const git = spawn("git", ["-C", dir, "archive", "--format=tar", treeish], { stdio: ["ignore", "pipe", "pipe"], ...(signal && { signal }) });
  let err = "";
  git.stderr.setEncoding("utf8").on("data", (text: string) => (err += text));
  git.stdout.pipe(out, { end: false });
  git.on("error", (error) => out.destroy(error));
  git.on("close", (code) => {
    if (code === 0) out.end();
    else out.destroy(new Error(`git archive ${treeish} failed: ${err.trim()}`));
  });
  return out;
}
