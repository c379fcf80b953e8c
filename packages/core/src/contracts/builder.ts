import type { AppSource } from "../app.js";
import type { Hop3Error } from "../errors.js";
import type { BuildArtifact } from "../schemas/artifact.js";
import type { AppOperationContext } from "./common.js";
import type { LanguageToolchain } from "./toolchain.js";

/** The answer of `Builder.accept`: yes or no, with a reason a person can read. */
export interface AcceptResult {
  readonly accepted: boolean;
  /** "hop3.nix found", "no Dockerfile"... shown by `hop3 plan` and in BUILDER_NONE_ACCEPTED. */
  readonly reason: string;
}

export interface AcceptContext {
  readonly app: AppSource;
  /** Registered toolchains; empty unless the builder declares `usesToolchains`. */
  readonly toolchains: readonly LanguageToolchain[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * What a build will hand the deployer, as its builder knows it before building (`Builder.preview`),
 * and what the build would refuse that is known already.
 */
export interface ArtifactPreview {
  /**
   * The artifact's workers (name to command, as in `runtime.workers`), as the app declares them in
   * its Procfile and hop3.toml. Undefined when only the build decides them (Nix: hop3/runtime.json):
   * the deployer then checks them at deploy, and `hop3 plan` says so.
   */
  readonly workers?: Readonly<Record<string, string>>;
  /** The artifact's `runtime.isolation` ("container" for an image); default "user". */
  readonly isolation?: "user" | "container";
  /** Coded errors the build would raise, found without building (a toolchain's program missing on PATH); default none. */
  readonly problems?: readonly Hop3Error[];
}

export interface BuildContext extends AppOperationContext {
  readonly app: AppSource;
  /** Registered toolchains; empty unless the builder declares `usesToolchains`. */
  readonly toolchains: readonly LanguageToolchain[];
  /** Identifies this build among the app's releases (safe as a file name). */
  readonly releaseId: string;
}

/** What `Builder.usePrebuilt` gets: a build context, and the store path built elsewhere. */
export interface PrebuiltContext extends BuildContext {
  /** As given (`hop3 deploy --store-path`): unchecked, the builder checks it. */
  readonly storePath: string;
}

/** What `Builder.discard` gets: the app's directory, its user, and a runner as that user. */
export type DiscardContext = AppOperationContext;

/**
 * Level 1: how to build. Nix builds from hop3.nix alone, Local delegates to language toolchains,
 * Docker builds an image. In auto mode builders are asked in `priority` order and the first that
 * accepts builds.
 */
export interface Builder {
  readonly apiVersion: 1;
  /** Unique among builders, as written in hop3.toml `[build] builder`. */
  readonly name: string;
  readonly description?: string;
  /**
   * What it looks for in an app, for people: "a hop3.nix", "a Dockerfile". The hint of
   * BUILDER_NONE_ACCEPTED lists it, so a distribution's message names only its own builders.
   */
  readonly looksFor?: string;
  /**
   * Where an app's workers come from when its Procfile and hop3.toml name none, for people:
   * "hop3/runtime.json of the package". `hop3 plan` shows it.
   */
  readonly workersFrom?: string;
  /** Lower is asked first in auto mode (nix 10, docker 20, local 30; default 100). */
  readonly priority?: number;
  /** Whether `build` gets the registered language toolchains. */
  readonly usesToolchains: boolean;
  /**
   * True when each artifact's `runtime.workingDir` is a directory made for that release alone,
   * under the app's state directory and owned by the app's user: Hop3 links hop3.toml
   * [[volumes]] into it before the workers start. Absent (a read-only /nix/store path, an image),
   * an app that declares volumes is refused at plan time (VOLUMES_UNSUPPORTED).
   */
  readonly workingDirPerRelease?: boolean;
  /** Decides, without side effects, whether this builder can build the app. */
  accept(context: AcceptContext): AcceptResult | Promise<AcceptResult>;
  /**
   * Optional: what the build will produce (its workers, its isolation) and what it would refuse,
   * said before building, without side effects and quickly. `hop3 plan`, `hop3 validate` and the
   * plan step of a deploy ask it, then ask the deployer that would run such an artifact
   * (`Deployer.check`), so that nothing known before the build is found after it. Without it,
   * nothing is checked before the build.
   */
  preview?(context: AcceptContext): ArtifactPreview | Promise<ArtifactPreview>;
  /** Builds the app and describes how to run it. */
  build(context: BuildContext): Promise<BuildArtifact>;
  /**
   * Optional: describes a Nix store path built on another machine and copied to this server
   * (`hop3 deploy --store-path`, what `--build-here` sends) as this builder's artifact, checked as
   * its own build's output is, without building or evaluating anything of the app. A deploy of a
   * store path goes to the first builder that has it.
   */
  usePrebuilt?(context: PrebuiltContext): Promise<BuildArtifact>;
  /**
   * Frees what the artifact holds (GC roots, images, build copies) when its release is no longer
   * needed: the app is destroyed, or the release fell out of the kept ones (HOP3_KEEP_RELEASES) and
   * is pruned after a deploy. Frees only what this one release holds (other kept releases may share a
   * store path or a base image), may be called twice for one artifact, and throws when it could not
   * free it (the release is then kept and tried again at the next prune).
   */
  discard?(artifact: BuildArtifact, context: DiscardContext): Promise<void>;
}
