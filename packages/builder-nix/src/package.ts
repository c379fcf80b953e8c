import { lstatSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { findProgram, Hop3Error, isInside, type BuildContext } from "@hop3/core";
import { prepareGcRootsDir } from "./app-dirs.js";
import { nixError } from "./errors.js";
import { gcRootsDir } from "./gc-roots.js";
import { addGcRoot } from "./nix-cli.js";

// What a build here and a store path built elsewhere (prebuilt.ts) go through alike: the package's
// runtime.json read safely, the release's GC root, the nix programs found.

/** Keeps the release's store path from garbage collection with a GC root under the app's state. */
export async function protect(nixStore: string, link: string, storePath: string, context: BuildContext, appName: string): Promise<void> {
  try {
    prepareGcRootsDir(gcRootsDir(context.appStateDir), context.appStateDir, context.appUser);
  } catch (error) {
    throw nixError("NIX_GC_ROOT_FAILED", `Could not create the directory of GC root ${link}: ${(error as Error).message}`, {
      cause: error,
      details: { app: appName, link, storePath },
    });
  }
  await addGcRoot(nixStore, link, storePath, context, appName);
}

/**
 * Reads `<store path>/hop3/runtime.json` as Hop3 (root): the package must be a directory, and the
 * file (and `hop3/`) may be links only within it, so what is read is always the build's own output,
 * never a file of the server (`ln -s /etc/shadow $out/hop3/runtime.json`).
 */
export function readRuntimeJson(storePath: string, appName: string): string {
  const file = join(storePath, "hop3", "runtime.json");
  const missing = (error: unknown) =>
    nixError("NIX_RUNTIME_JSON_MISSING", `The package of "${appName}" (${storePath}) has no hop3/runtime.json: hop3.nix must create $out/hop3/runtime.json.`, {
      cause: error,
      details: { app: appName, storePath, file },
    });
  const outside = (what: string, target: string) =>
    nixError("NIX_RUNTIME_JSON_OUTSIDE_PACKAGE", `The package of "${appName}" (${storePath}) ${what} ${target}, outside the package: Hop3 reads only files the build wrote.`, {
      details: { app: appName, storePath, file, target },
    });
  let real: string;
  try {
    if (lstatSync(storePath).isSymbolicLink()) throw outside("is a link to", readlinkSync(storePath));
    const root = realpathSync(storePath);
    for (const path of [join(storePath, "hop3"), file]) {
      if (!lstatSync(path).isSymbolicLink()) continue;
      // Judged by where the link points, resolved or not: a link to a missing /etc file is no better.
      const target = realPathOrUndefined(path) ?? resolve(dirname(path), readlinkSync(path));
      if (!isInside(target, root)) throw outside(`has ${path === file ? "hop3/runtime.json" : "hop3/"} leading to`, target);
    }
    real = realpathSync(file);
  } catch (error) {
    if (Hop3Error.is(error)) throw error;
    throw missing(error);
  }
  try {
    return readFileSync(real, "utf8");
  } catch (error) {
    throw missing(error);
  }
}

function realPathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** The absolute path of a nix program, or NIX_NOT_INSTALLED saying how to install Nix. */
export function requireProgram(program: string, env: Readonly<Record<string, string | undefined>>, appName: string): string {
  const found = findProgram(program, env);
  if (found) return found;
  const missing = program.includes("/") ? `${program} is not an executable file` : `${program} was not found on PATH`;
  throw nixError("NIX_NOT_INSTALLED", `"${appName}" is built with Nix, and ${missing}.`, {
    details: { app: appName, program, path: env.PATH ?? "" },
  });
}

