import { randomInt, randomUUID } from "node:crypto";
import { coreError } from "./error-codes.js";
import type { EnvValue, Hop3Toml } from "./schemas/hop3-toml.js";

/**
 * hop3.toml `[env]` values that are not plain text: a fact of the app (`{ key = "name" }`), a
 * generated secret (`{ generate = "urlsafe" }`, `{ random = true }`) and an addon's variable
 * (`{ from = "db", key = "PGHOST" }`). Each becomes plain text before a deploy; one that cannot
 * is a coded error at plan time, never an empty variable.
 */
export type EnvReference = Exclude<EnvValue, string | number | boolean>;

/** The facts of an app an `[env]` value may name with `{ key = "..." }`, and what each is. */
export const APP_FACTS = {
  name: "the app's name",
  host: "the app's first domain (`hop3 domains add`), else <app>.localhost",
  domain: "the same as host (upstream's spelling)",
  url: "the URL the app answers on, with that host",
} as const;

export type AppFact = keyof typeof APP_FACTS;

/** The facts' values for one deploy: taken when it is planned. */
export type AppFacts = Readonly<Record<AppFact, string>>;

/** An addon the app declares in its hop3.toml (`[[addons]]`, or `[[provider]]` in catalogue apps). */
export interface DeclaredAddon {
  /** How `[env]` references name it: its `name`, else its `type`. */
  readonly name: string;
  readonly type?: string;
}

/**
 * Where addon references get their values: the variables an addon of the app gives it (PGHOST,
 * PGPASSWORD...). Core has none (`NO_ADDON_ENV`); an addons plugin puts its own in place of it with
 * `registry.provide(Hop3Tokens.AddonEnv, source)` in its register() (or a distribution in `services`).
 */
export interface AddonEnvSource {
  /** The addon's variables for this app, or undefined while it has none (not provisioned yet). */
  envOf(app: string, addon: DeclaredAddon): Readonly<Record<string, string>> | undefined | Promise<Readonly<Record<string, string>> | undefined>;
}

/** No addon is provisioned: every addon reference needs a value set with `hop3 config set`. */
export const NO_ADDON_ENV: AddonEnvSource = { envOf: () => undefined };

/** How a generated value is made. */
export interface GeneratorSpec {
  readonly generator: "hex" | "base64" | "urlsafe" | "password" | "uuid";
  /** Characters made (the prefix aside). */
  readonly length: number;
  readonly prefix: string;
}

/** A generated value as Hop3 keeps it with the app's state (root's, 0600). */
export interface GeneratedValue extends GeneratorSpec {
  readonly value: string;
  readonly createdAt: string;
}

/** How one `[env]` reference gets its value for a deploy. */
export type EnvEntry =
  | { readonly name: string; readonly from: "fact"; readonly fact: AppFact; readonly value: string }
  | { readonly name: string; readonly from: "addon"; readonly addon: string; readonly key: string; readonly value: string }
  /** `kept` is the value made at an earlier deploy; absent, one is made at this deploy. */
  | { readonly name: string; readonly from: "generated"; readonly spec: GeneratorSpec; readonly kept?: GeneratedValue }
  /** The user set the variable with `hop3 config set` (or `deploy --env`): that value wins, the reference is not resolved. */
  | { readonly name: string; readonly from: "config set" };

/** Every `[env]` reference of an app and how it resolves, with notes for the plan. */
export interface EnvPlan {
  readonly entries: readonly EnvEntry[];
  readonly warnings: readonly string[];
}

const ALPHABETS = {
  hex: "0123456789abcdef",
  base64: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
  urlsafe: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
  password: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
} as const;

/** Lengths that give about 256 random bits (a UUID has its own 36 characters, 122 of them random). */
const DEFAULT_LENGTHS: Record<GeneratorSpec["generator"], number> = { hex: 64, base64: 43, urlsafe: 43, password: 32, uuid: 36 };

/** What a `{ generate }` or `{ random }` table asks for. */
export function generatorSpec(reference: EnvReference): GeneratorSpec | undefined {
  if ("generate" in reference) {
    const generator = reference.generate as GeneratorSpec["generator"]; // one of the schema's words
    return { generator, length: generator === "uuid" ? DEFAULT_LENGTHS.uuid : (reference.length ?? DEFAULT_LENGTHS[generator]), prefix: reference.prefix ?? "" };
  }
  if ("random" in reference) return { generator: "urlsafe", length: reference.length ?? DEFAULT_LENGTHS.urlsafe, prefix: "" };
  return undefined;
}

/** A new value: `length` characters of the generator's alphabet, each drawn from the system's CSPRNG without bias. */
export function generateValue(spec: GeneratorSpec): string {
  if (spec.generator === "uuid") return `${spec.prefix}${randomUUID()}`;
  const alphabet = ALPHABETS[spec.generator];
  let value = "";
  for (let i = 0; i < spec.length; i++) value += alphabet[randomInt(alphabet.length)];
  return `${spec.prefix}${value}`;
}

/** The addons of a hop3.toml by the name references use. */
export function declaredAddons(toml: Hop3Toml): ReadonlyMap<string, DeclaredAddon> {
  const addons = new Map<string, DeclaredAddon>();
  for (const entry of [...(toml.addons ?? []), ...(toml.provider ?? [])]) {
    const name = entry.name ?? entry.type;
    if (name !== undefined) addons.set(name, { name, ...(entry.type !== undefined && { type: entry.type }) });
  }
  return addons;
}

/** Where a reference error points: the file, line and key, as hop3.toml errors do. */
export type ReferenceLocation = (name: string) => { readonly where: string; readonly details: Readonly<Record<string, unknown>> };

/**
 * What can be said of the references from hop3.toml alone, before anything is known of the
 * server: a fact Hop3 does not know (ENV_FACT_UNKNOWN) and an addon the app does not declare
 * (ENV_ADDON_UNDECLARED: another app's addon, `other-app/db`, a misspelling) are refused here,
 * so `validate`, `plan` and `deploy` all refuse them before anything is built.
 */
export function checkEnvReferences(references: Readonly<Record<string, EnvReference>>, toml: Hop3Toml, locate: ReferenceLocation): void {
  const addons = declaredAddons(toml);
  for (const [name, reference] of Object.entries(references)) {
    if (!("key" in reference) && !("external_ip" in reference)) continue;
    const { where, details } = locate(name);
    if (reference.external_ip === true) {
      throw coreError("ENV_FACT_UNKNOWN", `${where}: [env] ${name} asks for the host's public address ({ external_ip = true }), which this Hop3 does not know.`, {
        hint: `Set the address yourself: \`hop3 config set APP ${name}=<address>\`, and remove the reference (a value set with \`hop3 config set\` wins over it).`,
        details: { ...details, variable: name },
      });
    }
    const key = reference.key!;
    if (reference.from === undefined) {
      if (!(key in APP_FACTS)) {
        throw coreError("ENV_FACT_UNKNOWN", `${where}: [env] ${name} names the app fact "${key}", which Hop3 does not know (it knows ${Object.keys(APP_FACTS).join(", ")}).`, {
          details: { ...details, variable: name, fact: key, known: Object.keys(APP_FACTS) },
        });
      }
      continue;
    }
    if (!addons.has(reference.from)) {
      const why = reference.from.includes("/") ? "which names another app's addon: an app reads only the addons it declares" : `which this app does not declare (its addons: ${[...addons.keys()].join(", ") || "none"})`;
      throw coreError("ENV_ADDON_UNDECLARED", `${where}: [env] ${name} reads from addon ${JSON.stringify(reference.from)}, ${why}.`, {
        details: { ...details, variable: name, addon: reference.from, declared: [...addons.keys()] },
      });
    }
  }
}

/** What planEnv needs: the app's references and what is known of it on this server. */
export interface PlanEnvInput {
  readonly app: string;
  readonly toml: Hop3Toml;
  /** `[env]` references, by variable (AppConfig.deferredEnv). */
  readonly references: Readonly<Record<string, EnvReference>>;
  readonly facts: AppFacts;
  /** Values set with `hop3 config set` (and `deploy --env`): they win over references. */
  readonly userEnv: Readonly<Record<string, string>>;
  /** Values generated at earlier deploys, by variable. */
  readonly generated: Readonly<Record<string, GeneratedValue>>;
  readonly addons: AddonEnvSource;
}

/**
 * How each reference resolves for this deploy. Nothing is generated here (a plan has no side
 * effects): a generated value not made yet is marked so. A reference to a declared addon whose
 * variables are not known, or that lacks the key, is ENV_ADDON_UNRESOLVED, unless the user set
 * the variable. Static errors (unknown facts, undeclared addons) are checkEnvReferences'.
 */
export async function planEnv(input: PlanEnvInput): Promise<EnvPlan> {
  const entries: EnvEntry[] = [];
  const warnings: string[] = [];
  const addons = declaredAddons(input.toml);
  for (const [name, reference] of Object.entries(input.references)) {
    if (Object.hasOwn(input.userEnv, name)) {
      entries.push({ name, from: "config set" });
      continue;
    }
    const spec = generatorSpec(reference);
    if (spec) {
      const kept = Object.hasOwn(input.generated, name) ? input.generated[name] : undefined;
      if (kept && (kept.generator !== spec.generator || kept.length !== spec.length || kept.prefix !== spec.prefix)) {
        warnings.push(
          `[env] ${name} keeps the value generated at its first deploy (${describeSpec(kept)}); hop3.toml now asks for ${describeSpec(spec)}. A value set with \`hop3 config set\` replaces it.`,
        );
      }
      entries.push({ name, from: "generated", spec, ...(kept && { kept }) });
      continue;
    }
    if (!("key" in reference) || reference.key === undefined) continue; // external_ip: refused by checkEnvReferences
    if (reference.from === undefined) {
      const fact = reference.key as AppFact;
      entries.push({ name, from: "fact", fact, value: input.facts[fact] });
      continue;
    }
    const addon = addons.get(reference.from);
    const variables = addon ? await input.addons.envOf(input.app, addon) : undefined;
    const value = variables?.[reference.key];
    if (value === undefined) {
      throw coreError(
        "ENV_ADDON_UNRESOLVED",
        `[env] ${name} = { from = ${JSON.stringify(reference.from)}, key = ${JSON.stringify(reference.key)} } cannot be resolved: ${
          variables === undefined ? `nothing on this server provides the variables of addon "${reference.from}" yet` : `addon "${reference.from}" has no variable ${reference.key}`
        }.`,
        {
          hint: `Set the value yourself: \`hop3 config set ${input.app} ${name}=...\`, then deploy again; before the app's first deploy, give it to the deploy: \`hop3 deploy DIR --env ${name}=...\`. It wins over the reference.`,
          details: { app: input.app, variable: name, addon: reference.from, key: reference.key },
        },
      );
    }
    entries.push({ name, from: "addon", addon: reference.from, key: reference.key, value });
  }
  return { entries, warnings };
}

/**
 * The plan's references as plain text, making the generated values not made yet: what a deploy
 * gives its workers (besides hop3.toml's plain values). Returns the values made, to keep.
 */
export function settleEnv(plan: EnvPlan, now: Date): { readonly env: Readonly<Record<string, string>>; readonly made: Readonly<Record<string, GeneratedValue>> } {
  // Pairs, then Object.fromEntries: a variable named __proto__ stays a variable.
  const env: Array<[string, string]> = [];
  const made: Array<[string, GeneratedValue]> = [];
  for (const entry of plan.entries) {
    if (entry.from === "fact" || entry.from === "addon") env.push([entry.name, entry.value]);
    else if (entry.from === "generated") {
      const value = entry.kept ?? { ...entry.spec, value: generateValue(entry.spec), createdAt: now.toISOString() };
      if (!entry.kept) made.push([entry.name, value]);
      env.push([entry.name, value.value]);
    }
  }
  return { env: Object.fromEntries(env), made: Object.fromEntries(made) };
}

const describeSpec = (spec: GeneratorSpec) => `${spec.generator}${spec.generator === "uuid" ? "" : `, ${spec.length} characters`}${spec.prefix ? `, prefix "${spec.prefix}"` : ""}`;

/** One reference as the plan shows it; secrets are never shown (generated values, addon variables). */
export function describeEnvEntry(entry: EnvEntry): string {
  switch (entry.from) {
    case "fact":
      return `${entry.name} = ${entry.value} (app fact ${entry.fact})`;
    case "addon":
      return `${entry.name} = ******** (addon ${entry.addon}, ${entry.key})`;
    case "generated":
      return `${entry.name} = ${entry.kept ? `******** (generated ${entry.kept.createdAt}, kept)` : `(generated at first deploy: ${describeSpec(entry.spec)})`}`;
    case "config set":
      return `${entry.name} = (the value set with \`hop3 config set\`, which wins over hop3.toml)`;
  }
}

/** One reference as hop3.toml writes it, for `validate` (nothing of the server is known there). */
export function describeEnvReference(name: string, reference: EnvReference): string {
  const spec = generatorSpec(reference);
  if (spec) return `${name}: generated once (${describeSpec(spec)}), kept across deploys`;
  if ("external_ip" in reference && reference.external_ip === true) return `${name}: the host's public address`;
  if ("key" in reference && reference.from !== undefined) return `${name}: addon ${reference.from}, variable ${reference.key}`;
  return `${name}: app fact ${"key" in reference ? reference.key : "?"}`;
}
