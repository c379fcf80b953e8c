import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, relative } from "node:path";

/**
 * Everything observable about a directory tree: each entry's path, type, size, mode, mtime and
 * content hash. Two equal snapshots mean nothing was written, removed or touched.
 */
export function snapshotTree(root: string): Record<string, string> {
  const entries: Record<string, string> = {};
  if (!existsSync(root)) return entries;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      const key = relative(root, path);
      if (stat.isSymbolicLink()) entries[key] = `link -> ${readlinkSync(path)}`;
      else if (stat.isDirectory()) {
        entries[key] = `dir ${stat.mode.toString(8)}`;
        walk(path);
      } else {
        const hash = createHash("sha256").update(readFileSync(path)).digest("hex").slice(0, 16);
        entries[key] = `file ${stat.mode.toString(8)} ${stat.size} ${stat.mtimeMs} ${hash}`;
      }
    }
  };
  walk(root);
  return entries;
}
