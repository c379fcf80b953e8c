import type { AppSource } from "../app.js";
import type { OperationContext } from "./common.js";

/** The answer of `LanguageToolchain.detect`. */
export interface Detection {
  readonly detected: boolean;
  /** Files that matched, relative to the app directory (e.g. ["requirements.txt"]). */
  readonly files: readonly string[];
  /** Why, in words, shown by `hop3 plan` ("requirements.txt found", "no package.json"). */
  readonly reason: string;
}

/** What a toolchain adds to the artifact's runtime. */
export interface ToolchainContribution {
  /** Environment variables (PYTHONUNBUFFERED, NODE_PATH...). */
  readonly env?: Readonly<Record<string, string>>;
  /** Directories prepended to PATH (venv/bin, node_modules/.bin...), absolute. */
  readonly path?: readonly string[];
  /** Default workers, used when the app's config does not name them. */
  readonly workers?: Readonly<Record<string, string>>;
}

/**
 * What a toolchain builds with. Its `run` runs programs as the app's own user (see
 * BuildContext.runAsApp): a toolchain only ever runs what the app ships.
 */
export interface ToolchainBuildContext extends OperationContext {
  readonly app: AppSource;
  /** The release's own copy of the sources, where the toolchain installs and builds. */
  readonly buildDir: string;
}

/** A program a toolchain's build runs, looked up on PATH before the build (`hop3 plan`). */
export interface RequiredProgram {
  /** A plain program name, as on PATH ("go", "php", "mvn"). */
  readonly name: string;
  /** How to install it, one sentence ("On Debian or Ubuntu `apt-get install golang-go`."). */
  readonly install: string;
}

/**
 * Level 2: what to build. A toolchain knows one language ecosystem. Only builders that declare
 * `usesToolchains` (the Local builder) ever call one.
 */
export interface LanguageToolchain {
  readonly apiVersion: 1;
  /** Unique among toolchains: python, node, go, ruby, static, generic... */
  readonly name: string;
  readonly description?: string;
  /** Lower runs first when several detect the app (default 100). */
  readonly priority?: number;
  /**
   * Optional: the programs every build of this toolchain runs. A builder that uses toolchains looks
   * them up before the build (`Builder.preview`), so a missing one is reported by `hop3 plan`, not
   * half-way through a deploy. A program only some apps need is checked by the build.
   * @example programs: [{ name: "go", install: "On Debian or Ubuntu `apt-get install golang-go`." }]
   */
  readonly programs?: readonly RequiredProgram[];
  /** Looks at the app without changing anything. */
  detect(app: AppSource): Detection | Promise<Detection>;
  /** Installs and builds into `context.buildDir`. */
  build(context: ToolchainBuildContext): Promise<ToolchainContribution>;
}
