import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The repository's root. */
export const ROOT = resolve(import.meta.dirname, "..", "..", "..");

/** What the checks read of a package.json. */
export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly [key: string]: unknown;
}

export interface WorkspacePackage {
  /** Relative to the root, e.g. "packages/core". */
  readonly dir: string;
  readonly manifest: Manifest;
}

/** The workspace packages under the given folders (those pnpm-workspace.yaml lists). */
export function workspacePackages(folders: readonly string[] = ["packages", "apps", "tools", "test-fixtures/plugins"]): WorkspacePackage[] {
  return folders.flatMap((folder) =>
    existsSync(join(ROOT, folder))
      ? readdirSync(join(ROOT, folder))
          .filter((name) => existsSync(join(ROOT, folder, name, "package.json")))
          .map((name) => ({ dir: `${folder}/${name}`, manifest: JSON.parse(readFileSync(join(ROOT, folder, name, "package.json"), "utf8")) as Manifest }))
      : [],
  );
}

/** The packages published to npm: every workspace package not marked private. */
export const publishedPackages = (): WorkspacePackage[] => workspacePackages().filter((p) => !p.manifest.private);

/**
 * Whether `version` satisfies `range`, for the forms this repository writes: `^x.y.z`, `~x.y.z`,
 * `x.y.z`, and space-separated comparators (`>=0.1.0 <1.0.0`).
 */
export function satisfies(version: string, range: string): boolean {
  const parse = (v: string) => v.split(".").map((part) => Number.parseInt(part, 10)) as [number, number, number];
  const compare = (a: string, b: string) => {
    const [x, y] = [parse(a), parse(b)];
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return 0;
  };
  return range.split(/\s+/).every((comparator) => {
    const match = /^(\^|~|>=|<=|>|<|=)?(\d+\.\d+\.\d+)$/.exec(comparator);
    if (!match) throw new Error(`range form not handled: ${range}`);
    const [, op = "=", base] = match as unknown as [string, string | undefined, string];
    const [major, minor] = parse(base);
    const cmp = compare(version, base);
    switch (op) {
      case "^":
        // Caret: same first non-zero part (0.x: same minor).
        return cmp >= 0 && (major > 0 ? parse(version)[0] === major : parse(version)[0] === 0 && parse(version)[1] === minor);
      case "~":
        return cmp >= 0 && parse(version)[0] === major && parse(version)[1] === minor;
      case ">=":
        return cmp >= 0;
      case "<=":
        return cmp <= 0;
      case ">":
        return cmp > 0;
      case "<":
        return cmp < 0;
      default:
        return cmp === 0;
    }
  });
}
