import { existsSync, readdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import {
  coreErrorCatalog,
  createDistribution,
  createSteps,
  definePlugin,
  Hop3Error,
  isDirectory,
  type BuildArtifact,
  type Distribution,
  type Logger,
  type StepSink,
} from "@hop3/core";
import { createNixBuilder } from "./builder.js";
import { PACKAGE_NAME, type NixBuilderOptions } from "./options.js";
import { NIX_FILE } from "./settings.js";

/** Where output goes: a stream such as process.stdout, or a CLI context's stdout. */
export interface TextOutput {
  write(text: string): unknown;
}

/** Options of `validateNixApps`. */
export interface ValidateNixAppsOptions {
  /** A folder of apps (each subdirectory with a hop3.nix is one), or one app directory. */
  readonly root: string;
  /** Validate only the app in this subdirectory of `root`. */
  readonly app?: string;
  /** When printing to `output`: show the store path of each passing app and the whole message of each failure. */
  readonly verbose?: boolean;
  /** Prints `PASS name` / `FAIL name: ...` lines as each app finishes, then a summary. */
  readonly output?: TextOutput;
  /** Options of the Nix builder used (GC roots are never added: nothing is deployed). */
  readonly builder?: NixBuilderOptions;
  /** Environment for nix (PATH, NIX_PATH, NIX_CONFIG...); default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Receives the build output lines. */
  readonly logger?: Logger;
  /** Each app's build as a step (`build NAME`), its output folded under it: what `hop3 nix validate` renders on stderr. */
  readonly onStep?: StepSink;
  readonly signal?: AbortSignal;
}

/** The outcome for one app. */
export type NixAppValidation =
  | { readonly name: string; readonly dir: string; readonly passed: true; readonly storePath: string; readonly artifact: BuildArtifact }
  | {
      readonly name: string;
      readonly dir: string;
      readonly passed: false;
      readonly code: string;
      /** nix's own `error:` line when there is one, else the first line of the message. */
      readonly errorLine: string;
      readonly message: string;
      readonly hint: string;
    };

/** The outcome for every app, and the exit code a CLI should return (1 when any failed or none was found). */
export interface NixAppsValidation {
  readonly root: string;
  readonly results: readonly NixAppValidation[];
  readonly passed: number;
  readonly failed: number;
  readonly exitCode: 0 | 1;
}

/**
 * Builds every Nix app under `root` (or the one named by `app`) through the real pipeline and
 * reports PASS/FAIL per app: the equivalent of the specification's `scripts/build-nix-apps.py`.
 * A failing app does not stop the others; cancelling does.
 */
export async function validateNixApps(options: ValidateNixAppsOptions): Promise<NixAppsValidation> {
  const root = resolve(options.root);
  if (!isDirectory(root)) {
    throw new Hop3Error({ code: "APP_DIR_NOT_FOUND", message: `${root} is not a directory.`, hint: coreErrorCatalog.APP_DIR_NOT_FOUND.hint, details: { path: root } });
  }
  // Nothing is deployed, so no GC root: a validation leaves nothing behind but store paths.
  const builder = createNixBuilder({ ...options.builder, gcRoots: false });
  const plugin = definePlugin({ name: PACKAGE_NAME, apiVersion: 1, register: (registry) => registry.addBuilder(builder) });
  const distribution = createDistribution({ plugins: [plugin], ...(options.env && { env: options.env }) });
  const dirs = options.app !== undefined ? [join(root, options.app)] : findNixApps(root);
  const results: NixAppValidation[] = [];
  for (const dir of dirs) {
    const result = await validateOne(dir, distribution, options);
    results.push(result);
    options.output?.write(formatAppValidation(result, options.verbose));
  }
  const failed = results.filter((result) => !result.passed).length;
  const report: NixAppsValidation = { root, results, passed: results.length - failed, failed, exitCode: failed > 0 || results.length === 0 ? 1 : 0 };
  options.output?.write(formatSummary(report));
  return report;
}

/** The app directories under `root`: `root` itself when it holds hop3.nix, else its subdirectories that do. */
export function findNixApps(root: string): string[] {
  if (existsSync(join(root, NIX_FILE))) return [root];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, NIX_FILE)))
    .map((entry) => join(root, entry.name))
    .sort();
}

async function validateOne(dir: string, distribution: Distribution, options: ValidateNixAppsOptions): Promise<NixAppValidation> {
  const name = basename(dir);
  const build = async (logger: Logger | undefined) => {
    const plan = await distribution.plan(dir, { builder: "nix" });
    return distribution.build(plan, { ...(logger && { logger }), ...(options.signal && { signal: options.signal }) });
  };
  try {
    const artifact = options.onStep
      ? await createSteps(options.onStep).run(`build ${name}`, build, (built) => built.location)
      : await build(options.logger);
    return { name, dir, passed: true, storePath: artifact.location, artifact };
  } catch (error) {
    if (!Hop3Error.is(error) || error.code === "COMMAND_CANCELLED" || options.signal?.aborted) throw error;
    const errorLine = typeof error.details.errorLine === "string" ? error.details.errorLine : error.message.split("\n")[0]!;
    return { name, dir, passed: false, code: error.code, errorLine, message: error.message, hint: error.hint };
  }
}

/** `PASS name` (and the store path when verbose) or `FAIL name: <error line> [CODE]` (and the whole message). */
export function formatAppValidation(result: NixAppValidation, verbose = false): string {
  if (result.passed) return `PASS ${result.name}\n${verbose ? `  ${result.storePath}\n` : ""}`;
  const more = verbose ? `${result.message.split("\n").map((line) => `  ${line}`).join("\n")}\n  hint: ${result.hint}\n` : "";
  return `FAIL ${result.name}: ${result.errorLine} [${result.code}]\n${more}`;
}

/** The closing line: counts, or why nothing was validated. */
export function formatSummary(report: NixAppsValidation): string {
  if (report.results.length === 0) return `No Nix app (a directory holding ${NIX_FILE}) under ${report.root}.\n`;
  return `\n${report.passed} passed, ${report.failed} failed\n`;
}
