import { existsSync } from "node:fs";
import { join } from "node:path";

/** Directory names never copied into a release: VCS data and what the toolchains install. */
export const ALWAYS_IGNORED = [".git", ".hg", ".svn", "node_modules", "__pycache__"] as const;

/**
 * Turns one hop3.toml `[build] ignore` pattern into a test on a path relative to the app root
 * (with `/` separators). gitignore-like: `*` and `?` stay within a segment, `**` spans segments;
 * a pattern without `/` matches a name at any depth; a leading `/` anchors it at the root; a
 * trailing `/` matches directories only. A matched directory is skipped with all it holds.
 */
export function compileIgnorePattern(pattern: string): (path: string, isDirectory: boolean) => boolean {
  let body = pattern.trim();
  const directoryOnly = body.endsWith("/");
  if (directoryOnly) body = body.replace(/\/+$/, "");
  const anchored = body.startsWith("/") || body.slice(0, -1).includes("/");
  body = body.replace(/^\/+/, "").replace(/^\.\//, "");
  const source = globToRegExpSource(body);
  const regexp = new RegExp(anchored ? `^${source}$` : `^(?:.*/)?${source}$`);
  return (path, isDirectory) => (!directoryOnly || isDirectory) && regexp.test(path);
}

function globToRegExpSource(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === "*") {
      if (glob[i + 1] === "*") {
        // `**/` matches zero or more directories, a trailing `**` everything below.
        const slash = glob[i + 2] === "/";
        out += slash ? "(?:.*/)?" : ".*";
        i += slash ? 2 : 1;
      } else {
        out += "[^/]*";
      }
    } else if (char === "?") {
      out += "[^/]";
    } else {
      out += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return out;
}

/** Decides what of the app's tree stays out of a release. */
export function createIgnoreFilter(appDir: string, patterns: readonly string[]): (relativePath: string, isDirectory: boolean) => boolean {
  const tests = patterns.filter((p) => p.trim() !== "" && !p.trim().startsWith("#")).map(compileIgnorePattern);
  return (relativePath, isDirectory) => {
    const name = relativePath.slice(relativePath.lastIndexOf("/") + 1);
    if (isDirectory && (ALWAYS_IGNORED as readonly string[]).includes(name)) return true;
    // A virtualenv, whatever its name (.venv, venv, env...): it is not relocatable and is rebuilt.
    if (isDirectory && existsSync(join(appDir, relativePath, "pyvenv.cfg"))) return true;
    return tests.some((test) => test(relativePath, isDirectory));
  };
}
