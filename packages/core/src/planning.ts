import type { AppSource } from "./app.js";
import type { EnvPlan } from "./env-references.js";
import type { AcceptResult, Builder } from "./contracts/builder.js";
import type { Deployer } from "./contracts/deployer.js";
import type { Detection, LanguageToolchain } from "./contracts/toolchain.js";
import { coreError } from "./error-codes.js";
import { Hop3Error } from "./errors.js";
import { checkVolumesPlan } from "./pipeline/volumes.js";
import { shapeOf, type ArtifactShape } from "./formats/artifact-shape.js";

/** One builder's answer, as kept in the plan. */
export interface BuilderCandidate {
  readonly name: string;
  readonly accepted: boolean;
  readonly reason: string;
}

/** One toolchain's answer, for builders that use toolchains. */
export interface ToolchainCandidate extends Detection {
  readonly name: string;
}

/** Which builder builds the app, and why; every candidate is kept with its answer. */
export interface BuildPlan {
  readonly app: AppSource;
  readonly builder: { readonly name: string; readonly reason: string; readonly explicit: boolean };
  readonly candidates: readonly BuilderCandidate[];
  /** The toolchains that detected the app, when the chosen builder uses toolchains. */
  readonly toolchains: readonly ToolchainCandidate[];
  readonly warnings: readonly string[];
  /** How each hop3.toml `[env]` reference resolves on this server (set by `Distribution.plan`). */
  readonly env?: EnvPlan;
  /** What was checked before the build (see checkRelease); set by `Distribution.plan`. */
  readonly checks?: ReleaseChecks;
  /** A store path built elsewhere: the builder describes it (`Builder.usePrebuilt`) instead of building. */
  readonly prebuilt?: string;
}

/**
 * What the plan found before the build that the build or the deploy would refuse: the chosen
 * builder's preview (`Builder.preview`), then the deployer that would run such an artifact
 * (`Deployer.check`).
 */
export interface ReleaseChecks {
  /** The shape of the artifact to come, when the builder says it before building. */
  readonly shape?: ArtifactShape;
  /** The deployer that would run it, when known before the build. */
  readonly deployer?: string;
  /** Whether the workers were checked now; false when only the build knows them (Nix's runtime.json): then the deploy checks them. */
  readonly workersChecked: boolean;
  /** Coded errors the build or the deploy would raise; empty when none is known. */
  readonly problems: readonly Hop3Error[];
  /** What was not checked, and why, for people. */
  readonly notes: readonly string[];
}

export interface CheckReleaseInput {
  readonly plan: BuildPlan;
  readonly builders: readonly Builder[];
  readonly toolchains: () => readonly LanguageToolchain[];
  /** Deployers in the order the distribution gives artifacts to them. */
  readonly deployers: readonly Deployer[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * Asks the planned builder what its build will produce and refuse (`Builder.preview`), then the
 * deployer that takes that shape what it would refuse (`Deployer.check`). No side effects: every
 * problem is collected (a plugin's coded error counts as one), none is thrown.
 */
export async function checkRelease(input: CheckReleaseInput): Promise<ReleaseChecks> {
  const { plan, env } = input;
  const builder = input.builders.find((b) => b.name === plan.builder.name);
  if (!builder?.preview) {
    return { workersChecked: false, problems: [], notes: [workersFromBuild(plan.builder.name, builder)] };
  }
  const problems: Hop3Error[] = [];
  const preview = await collect(problems, `builder "${builder.name}"`, "preview", () =>
    builder.preview!({ app: plan.app, toolchains: builder.usesToolchains ? input.toolchains() : [], env }),
  );
  if (preview === undefined) return { workersChecked: false, problems, notes: [] };
  problems.push(...codedProblems(preview.problems ?? [], `builder "${builder.name}"`, "preview"));
  if (preview.workers === undefined) {
    return { workersChecked: false, problems, notes: [workersFromBuild(builder.name, builder)] };
  }
  const shape = shapeOf(preview.workers, preview.isolation);
  // A distribution that only builds (a builder's own tests, `hop3 build`) has nothing to check them against.
  if (input.deployers.length === 0) return { shape, workersChecked: false, problems, notes: ["this distribution has no deployer: nothing runs the workers"] };
  // hop3.toml [run] deployer: that one checks the workers, or the deploy would refuse it.
  const named = plan.app.config.deployer;
  if (named) {
    const chosen = input.deployers.find((d) => d.name === named.name);
    if (!chosen || !(chosen.takes.includes(shape) || chosen.takesWhenNamed?.includes(shape))) {
      const why = chosen ? `it does not run the shape "${shape}" the artifact will have` : "this server has no deployer of that name";
      problems.push(
        coreError("DEPLOYER_UNKNOWN", `${named.where}: [run] deployer "${named.name}": ${why}. Deployers: ${input.deployers.map((d) => d.name).join(", ") || "none"}.`, {
          details: { app: plan.app.name, deployer: named.name, where: named.where, shape, available: input.deployers.map((d) => d.name) },
        }),
      );
      return { shape, workersChecked: true, problems, notes: [] };
    }
  }
  const deployer = named ? input.deployers.find((d) => d.name === named.name) : input.deployers.find((d) => d.takes.includes(shape));
  if (!deployer) {
    const available = input.deployers.map((d) => `${d.name} (${d.takes.join(", ")})`);
    problems.push(
      coreError("DEPLOYER_NOT_FOUND", `No deployer takes the artifact "${plan.app.name}" will have, of shape "${shape}". Deployers: ${available.join("; ") || "none"}.`, {
        details: { app: plan.app.name, shape, available },
      }),
    );
    return { shape, workersChecked: true, problems, notes: [] };
  }
  const refused = deployer.check ? await collect(problems, `deployer "${deployer.name}"`, "check", () => deployer.check!({ app: plan.app.name, workers: preview.workers!, shape, env })) : [];
  problems.push(...codedProblems(refused ?? [], `deployer "${deployer.name}"`, "check"));
  return { shape, deployer: deployer.name, workersChecked: true, problems, notes: [] };
}

const workersFromBuild = (name: string, builder: Builder | undefined): string =>
  `the workers come from the build of "${name}" (${builder?.workersFrom ?? "its output"}): the deployer checks them at deploy, before anything changes.`;

/** A plugin's problems, each a coded error; anything else is CONTRIBUTION_INVALID (its bug, not the app's). */
function codedProblems(problems: readonly unknown[], who: string, operation: string): Hop3Error[] {
  if (!Array.isArray(problems) || !problems.every(Hop3Error.is)) {
    throw coreError("CONTRIBUTION_INVALID", `The ${who} answered ${operation}() with problems that are not all coded errors (Hop3Error).`, { details: { who, operation } });
  }
  return [...problems];
}

/** Runs a plugin's check; its coded error is one more problem, anything else a bug (PLUGIN_FAILED). */
async function collect<T>(problems: Hop3Error[], who: string, operation: string, action: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await guardPlugin(who, operation, action);
  } catch (error) {
    if (!Hop3Error.is(error) || error.code === "PLUGIN_FAILED") throw error;
    problems.push(error);
    return undefined;
  }
}

/**
 * The error a plan with problems is refused with: the first problem, itself, so its code is the
 * one the build or the deploy would have raised; the others are named in its message and listed
 * in `details.problems`. Undefined when there is none.
 */
export function releaseRefusal(checks: ReleaseChecks): Hop3Error | undefined {
  const [first, ...others] = checks.problems;
  if (!first || others.length === 0) return first;
  return new Hop3Error({
    code: first.code,
    message: `${first.message}\nAlso refused before the build:\n${others.map((p) => `  - ${p.code}: ${p.message}`).join("\n")}`,
    hint: first.hint,
    cause: first,
    details: { ...first.details, problems: checks.problems.map((p) => p.toJSON()) },
  });
}

export interface SelectBuilderInput {
  readonly app: AppSource;
  /** Builders in the order auto mode asks them. */
  readonly builders: readonly Builder[];
  /** Read only for builders that use toolchains. */
  readonly toolchains: () => readonly LanguageToolchain[];
  /** Explicit choice (CLI option); overrides hop3.toml. */
  readonly requested?: string;
  /** A store path built elsewhere: the first builder that takes prebuilt store paths is chosen. */
  readonly storePath?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * Picks the builder. An explicit name (option, then hop3.toml `[build] builder`) wins and is
 * taken even if the builder would decline (its build raises the precise error); in auto mode the
 * first builder that accepts wins. Every builder is asked, so the plan can say who else would
 * have built the app.
 */
export async function selectBuilder(input: SelectBuilderInput): Promise<BuildPlan> {
  const { app, builders } = input;
  if (input.storePath !== undefined) return prebuiltPlan(app, builders, input.storePath);
  const requested = input.requested ?? (app.config.builder !== "auto" ? app.config.builder : undefined);
  const source = input.requested !== undefined ? "the builder option" : `hop3.toml [build] builder`;
  const warnings = [...app.config.warnings];

  if (requested !== undefined && requested !== "auto" && !builders.some((b) => b.name === requested)) {
    const available = builders.map((b) => b.name);
    throw coreError(
      "BUILDER_UNKNOWN",
      `No builder is named "${requested}" (asked by ${source}). Available: ${available.join(", ") || "none"}.`,
      { details: { requested, available } },
    );
  }

  // A builder may answer with a coded error (Nix needed but not installed). It counts against the
  // app only when that builder is the one that would build it; otherwise it is a plain "no".
  const answers: Array<BuilderCandidate & { error?: Hop3Error }> = [];
  for (const builder of builders) {
    try {
      answers.push({ name: builder.name, ...(await askBuilder(builder, app, builder.usesToolchains ? input.toolchains() : [], input.env)) });
    } catch (error) {
      if (!Hop3Error.is(error) || error.code === "PLUGIN_FAILED" || error.code === "CONTRIBUTION_INVALID") throw error;
      answers.push({ name: builder.name, accepted: false, reason: `${error.message} (${error.code})`, error });
    }
  }
  const candidates: BuilderCandidate[] = answers.map(({ name, accepted, reason }) => ({ name, accepted, reason }));

  let chosen: { name: string; reason: string; explicit: boolean };
  if (requested !== undefined && requested !== "auto") {
    const answer = answers.find((c) => c.name === requested)!;
    if (answer.error) throw answer.error;
    chosen = { name: requested, reason: `chosen by ${source}`, explicit: true };
    if (!answer.accepted) warnings.push(`Builder "${requested}" was chosen by ${source}, but it says: ${answer.reason}.`);
  } else {
    const first = answers.find((c) => c.accepted || c.error);
    if (first?.error) throw first.error;
    if (!first) {
      const reasons = candidates.map((c) => `  - ${c.name}: ${c.reason}`).join("\n");
      throw coreError("BUILDER_NONE_ACCEPTED", `No builder can build ${app.dir}:\n${reasons || "  (no builder is registered)"}`, {
        hint: noneAcceptedHint(builders),
        details: { candidates },
      });
    }
    chosen = { name: first.name, reason: first.reason, explicit: false };
  }

  const builder = builders.find((b) => b.name === chosen.name)!;
  checkVolumesPlan(app, builder);
  const toolchains = builder.usesToolchains ? await detectToolchains(input.toolchains(), app) : [];
  return { app, builder: chosen, candidates, toolchains, warnings };
}

/** Nothing of the app is asked: a store path is described by the builder that takes them, never built. */
function prebuiltPlan(app: AppSource, builders: readonly Builder[], storePath: string): BuildPlan {
  const candidates = builders.map((b) => ({ name: b.name, accepted: b.usePrebuilt !== undefined, reason: b.usePrebuilt ? "takes prebuilt store paths" : "builds only" }));
  const builder = builders.find((b) => b.usePrebuilt !== undefined);
  if (!builder) {
    throw coreError("BUILDER_NONE_ACCEPTED", `No builder of this distribution deploys a prebuilt store path (${storePath}).`, {
      hint: "Add the Nix builder (@hop3/builder-nix) to the distribution, or deploy the app's directory instead.",
      details: { candidates },
    });
  }
  return { app, builder: { name: builder.name, reason: "prebuilt store path", explicit: true }, candidates, toolchains: [], warnings: [], prebuilt: storePath };
}

/** What to add, from the builders this distribution has (not the default distribution's list). */
function noneAcceptedHint(builders: readonly Builder[]): string {
  if (builders.length === 0) return "This distribution has no builder: add a builder plugin to it (or to Hop3's config file `plugins`).";
  const wants = builders.map((b) => `${b.looksFor ?? b.description ?? "see its documentation"} (${b.name})`);
  return `Add what one of the builders looks for: ${wants.join("; ")}. Or name a builder in hop3.toml [build] builder.`;
}

async function askBuilder(
  builder: Builder,
  app: AppSource,
  toolchains: readonly LanguageToolchain[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<AcceptResult> {
  const answer = await guardPlugin(`builder "${builder.name}"`, "accept", () => builder.accept({ app, toolchains, env }));
  if (typeof answer?.accepted !== "boolean" || typeof answer.reason !== "string") {
    throw coreError("CONTRIBUTION_INVALID", `Builder "${builder.name}" answered accept() without {accepted, reason}.`, {
      details: { builder: builder.name },
    });
  }
  return { accepted: answer.accepted, reason: answer.reason };
}

/** Asks every toolchain, in order; returns those that detected the app. */
export async function detectToolchains(
  toolchains: readonly LanguageToolchain[],
  app: AppSource,
): Promise<ToolchainCandidate[]> {
  const found: ToolchainCandidate[] = [];
  for (const toolchain of toolchains) {
    const detection = await guardPlugin(`toolchain "${toolchain.name}"`, "detect", () => toolchain.detect(app));
    if (detection.detected) found.push({ name: toolchain.name, ...detection });
  }
  return found;
}

/**
 * Runs plugin code: a coded error passes through (it is meant for the user), anything else is a
 * bug in the plugin and is reported as such.
 */
export async function guardPlugin<T>(who: string, operation: string, action: () => T | Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (Hop3Error.is(error)) throw error;
    throw coreError("PLUGIN_FAILED", `The ${who} failed in ${operation}(): ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
      details: { who, operation },
    });
  }
}
