import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

/**
 * Finds a program the way a shell would, on the PATH of the given environment (not Hop3's own),
 * without running anything: `accept` and `doctor` must stay cheap and free of side effects.
 * Returns its absolute path, or undefined.
 */
export function findProgram(program: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (program.includes("/")) return isAbsolute(program) && isExecutableFile(program) ? program : undefined;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!isAbsolute(dir)) continue; // an empty or relative PATH entry would depend on the current directory
    const candidate = join(dir, program);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
