import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { AppSource, Detection } from "@hop3/core";
import { isFile } from "./shared.js";

/** How many marker files a detection names before it counts the rest. */
const NAMED_FILES = 3;

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The files at the root of `dir` whose name ends with `suffix` (".php"), sorted. */
export function filesEndingWith(dir: string, suffix: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((name) => name.endsWith(suffix) && isFile(join(dir, name))).sort();
}

/**
 * A detection from markers found by the toolchain itself, with detectByFiles's rule: hop3.toml
 * `[build] toolchain` wins (naming this toolchain detects it, naming another rules it out).
 */
export function namedOrFound(app: AppSource, toolchain: string, markers: readonly string[], missing: string): Detection {
  const named = app.config.toolchain;
  if (named !== undefined && named !== toolchain) return { detected: false, files: [], reason: `hop3.toml [build] toolchain is "${named}"` };
  const files = [...markers];
  if (named === toolchain) return { detected: true, files, reason: `named by hop3.toml [build] toolchain${files.length ? ` (${describeFiles(files)} found)` : ""}` };
  if (files.length > 0) return { detected: true, files, reason: `${describeFiles(files)} found` };
  return { detected: false, files: [], reason: missing };
}

function describeFiles(files: readonly string[]): string {
  if (files.length <= NAMED_FILES) return files.join(" and ");
  return `${files.slice(0, NAMED_FILES).join(", ")} and ${files.length - NAMED_FILES} more`;
}
