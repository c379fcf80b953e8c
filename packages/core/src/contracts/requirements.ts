/**
 * How much a distribution needs a system requirement:
 * - `required`: `hop3 setup` fails without it (nginx, uWSGI, Nix);
 * - `optional`: installed by default, but a failure to install it does not stop the others (Docker);
 * - `opt-in`: installed only when asked (`hop3 setup --with ID`), e.g. the Local builder's toolchains.
 */
export type RequirementLevel = "required" | "optional" | "opt-in";

/**
 * Something a plugin needs on the server, declared so that `hop3 setup` installs exactly what the
 * distribution's plugins use and `hop3 doctor` can say what is missing. Optional and additive: a
 * plugin that declares none needs nothing from the machine.
 */
export interface SystemRequirement {
  /** Short name, unique in a distribution, used by `hop3 setup --with/--without` (e.g. "nix", "docker"). */
  readonly id: string;
  /** The program whose presence on PATH shows it is installed (e.g. "nix-build"). */
  readonly program: string;
  /** Debian/Ubuntu packages that provide it, installed with apt when missing. Empty: none can. */
  readonly debianPackages?: readonly string[];
  /** What it enables, for people ("apps with a hop3.nix"). */
  readonly enables: string;
  /** Default "required". */
  readonly level?: RequirementLevel;
  /** How to install it by hand where apt is not available, one sentence. */
  readonly manualInstall?: string;
}

/** Requirement ids: lowercase words joined by '-'. */
export const REQUIREMENT_ID_PATTERN = "^[a-z][a-z0-9-]*$";
/** Debian package names (Debian Policy 5.6.1): they reach apt-get's command line. */
export const DEBIAN_PACKAGE_PATTERN = "^[a-z0-9][a-z0-9+.-]+$";
/** Program names: a plain file name looked up on PATH. */
export const PROGRAM_NAME_PATTERN = "^[A-Za-z0-9_][A-Za-z0-9_.+-]*$";

/** Why a declared requirement is invalid, or undefined when it is valid. */
export function requirementProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return "is not an object";
  const r = value as Record<string, unknown>;
  if (typeof r.id !== "string" || !new RegExp(REQUIREMENT_ID_PATTERN).test(r.id)) return `has an invalid id ${JSON.stringify(r.id)}`;
  if (typeof r.program !== "string" || !new RegExp(PROGRAM_NAME_PATTERN).test(r.program)) return `"${r.id}" has an invalid program ${JSON.stringify(r.program)}`;
  if (typeof r.enables !== "string" || r.enables.trim() === "") return `"${r.id}" does not say what it enables`;
  if (r.level !== undefined && r.level !== "required" && r.level !== "optional" && r.level !== "opt-in") return `"${r.id}" has an invalid level ${JSON.stringify(r.level)}`;
  if (r.debianPackages !== undefined) {
    if (!Array.isArray(r.debianPackages)) return `"${r.id}" has debianPackages that is not a list`;
    const bad = r.debianPackages.find((p) => typeof p !== "string" || !new RegExp(DEBIAN_PACKAGE_PATTERN).test(p));
    if (bad !== undefined) return `"${r.id}" names an invalid Debian package ${JSON.stringify(bad)}`;
  }
  if (r.manualInstall !== undefined && typeof r.manualInstall !== "string") return `"${r.id}" has a manualInstall that is not a string`;
  return undefined;
}
