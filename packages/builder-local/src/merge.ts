import { delimiter, isAbsolute } from "node:path";
import { HTTP_WORKERS, type ToolchainContribution } from "@hop3/core";

/** What the toolchains of one build contributed, merged in the order they ran. */
export interface MergedContribution {
  readonly env: Record<string, string>;
  /** Absolute directories, first wins, without duplicates. */
  readonly path: string[];
  /** Default workers; the first toolchain to offer a name keeps it. */
  readonly workers: Record<string, string>;
  /** Variables two toolchains set to different values (the later one wins). */
  readonly conflicts: string[];
}

export const emptyContribution = (): MergedContribution => ({ env: {}, path: [], workers: {}, conflicts: [] });

/**
 * Adds one toolchain's contribution. Env: a later toolchain wins (and the clash is reported).
 * PATH: later toolchains' directories come after earlier ones'. Workers: the first default for
 * a name stays (the toolchain that runs first is the app's main language).
 */
export function addContribution(merged: MergedContribution, toolchain: string, contribution: ToolchainContribution): MergedContribution {
  const env = { ...merged.env };
  const conflicts = [...merged.conflicts];
  for (const [name, value] of Object.entries(contribution.env ?? {})) {
    if (env[name] !== undefined && env[name] !== value) conflicts.push(`${name} (${toolchain} overrides an earlier toolchain)`);
    env[name] = value;
  }
  const path = [...merged.path];
  for (const dir of contribution.path ?? []) {
    if (!isAbsolute(dir)) throw new Error(`toolchain "${toolchain}" contributed a relative PATH entry "${dir}"; entries must be absolute`);
    if (!path.includes(dir)) path.push(dir);
  }
  const workers = { ...contribution.workers, ...merged.workers };
  return { env, path, workers, conflicts };
}

/**
 * The environment of a build command, later wins: `base` (the app's process environment: PATH,
 * locale, its HOME, USER and TMPDIR, never Hop3's own variables), the builder's `env` option,
 * hop3.toml [env], what the toolchains contributed; PATH is the toolchains' directories then the
 * PATH of the layers below.
 */
export function buildCommandEnv(
  base: Readonly<Record<string, string | undefined>>,
  builderEnv: Readonly<Record<string, string>>,
  appEnv: Readonly<Record<string, string>>,
  merged: Pick<MergedContribution, "env" | "path">,
): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...base, ...builderEnv, ...appEnv, ...merged.env };
  const below = env.PATH ?? "";
  env.PATH = [...merged.path, ...below.split(delimiter).filter((dir) => dir !== "" && !merged.path.includes(dir))].join(delimiter);
  return env;
}

/**
 * The workers of the release: the app's own (hop3.toml [run] and the Procfile) win; a toolchain
 * default fills a name the app does not use, except `web` when the app already has an HTTP
 * worker (wsgi, jwsgi...).
 */
export function resolveWorkers(configured: Readonly<Record<string, string>>, defaults: Readonly<Record<string, string>>): Record<string, string> {
  const workers = { ...configured };
  const hasHttp = HTTP_WORKERS.some((name) => name in configured);
  for (const [name, command] of Object.entries(defaults)) {
    if (name in workers) continue;
    if ((HTTP_WORKERS as readonly string[]).includes(name) && hasHttp) continue;
    workers[name] = command;
  }
  return workers;
}

/** Language names used as artifact kinds (for people: deployers take artifacts by shape); a toolchain of another name builds a `generic` artifact. */
const PROCESS_KINDS = new Set(["generic", "python", "node", "go", "ruby", "rust", "php", "java", "clojure", "dotnet", "elixir"]);

/**
 * `static` when the only worker is `static` (the static deployer serves it); else the language
 * of the one toolchain that ran (static aside), `multi-language` for several, `generic` otherwise.
 */
export function artifactKind(workers: Readonly<Record<string, string>>, toolchains: readonly string[]): string {
  const names = Object.keys(workers);
  if (names.length === 1 && names[0] === "static") return "static";
  const languages = toolchains.filter((name) => name !== "static");
  if (languages.length > 1) return "multi-language";
  const only = languages[0];
  return only !== undefined && PROCESS_KINDS.has(only) ? only : "generic";
}
