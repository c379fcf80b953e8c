import { parse, TomlError } from "../vendor/smol-toml.js";
import { coreError } from "../error-codes.js";
import { Hop3TomlSchema, type Hop3Toml } from "../schemas/hop3-toml.js";
import { isValidEnvName, isValidWorkerName } from "../schemas/names.js";
import { describeValue, findSchemaIssues, suggest } from "../schemas/validate.js";
import { findTomlLine } from "./toml-lines.js";
import { findVolumeProblem } from "./volumes.js";

/**
 * Parses and validates a hop3.toml text. Every error is coded and names the file, the line and the
 * key; the first problem found is raised, all of them are in `details.issues`.
 */
export function parseHop3Toml(source: string, file = "hop3.toml"): Hop3Toml {
  let data: unknown;
  try {
    data = parse(source);
  } catch (error) {
    const line = error instanceof TomlError ? error.line : undefined;
    const reason = error instanceof Error ? firstLine(error.message).replace(/^Invalid TOML document:\s*/, "") : String(error);
    throw coreError("CONFIG_TOML_SYNTAX", `${where(file, line)}: ${reason}.`, {
      cause: error,
      details: { file, line },
    });
  }

  const issues = findSchemaIssues(Hop3TomlSchema, data);
  const issue = issues[0];
  if (issue) {
    const key = issue.path.join(".");
    const line = findTomlLine(source, issue.path);
    const details = { file, line, key, issues: issues.map((i) => i.path.join(".")) };
    if (issue.unknownKey) {
      const parent = issue.path.slice(0, -1);
      const name = issue.path.at(-1)!;
      const guess = suggest(name, issue.knownKeys);
      const isTable = typeof issue.value === "object" && issue.value !== null && !Array.isArray(issue.value);
      const what = parent.length === 0 && isTable ? `unknown section [${name}]` : `unknown key "${key}"`;
      throw coreError("CONFIG_UNKNOWN_KEY", `${where(file, line)}: ${what}.${guess ? ` Did you mean "${[...parent, guess].join(".")}"?` : ""}`, {
        details: { ...details, suggestion: guess },
      });
    }
    throw coreError(
      "CONFIG_INVALID_VALUE",
      `${where(file, line)}: "${key}" must be ${issue.expected}, not ${describeValue(issue.value)}.`,
      { details: { ...details, expected: issue.expected } },
    );
  }

  const config = data as Hop3Toml;
  checkNames(config, source, file);
  return config;
}

/** Names that become file names or shell variables, and shapes a schema cannot say, get checked beyond their type. */
function checkNames(config: Hop3Toml, source: string, file: string): void {
  const fail = (path: readonly string[], message: string, hint?: string, code: "CONFIG_INVALID_VALUE" | "WORKER_NAME_INVALID" = "CONFIG_INVALID_VALUE") => {
    const line = findTomlLine(source, path);
    const key = path.join(".");
    return coreError(code, `${where(file, line)}: "${key}" ${message}.`, { ...(hint && { hint }), details: { file, line, key } });
  };
  const envHint = "Environment variable names use letters, digits and '_', and do not start with a digit.";
  const env = (config.env ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(env)) {
    if (name === "computed" || name === "_policy") continue;
    if (!isValidEnvName(name)) throw fail(["env", name], "is not a valid environment variable name", envHint);
    if (typeof value === "object" && value !== null && "random" in value && value.random !== true) {
      throw fail(["env", name], "is { random = false }, which asks for no value", 'Write { random = true } (or { generate = "urlsafe" }) for a generated value, or a plain value.');
    }
    if (typeof value === "object" && value !== null && !("generate" in value) && !("random" in value)) {
      const reference = value as { from?: string; key?: string; external_ip?: boolean };
      if (reference.external_ip === true ? reference.from !== undefined || reference.key !== undefined : reference.key === undefined) {
        throw fail(["env", name], "is a reference without a `key`", "Write { from = \"<addon>\", key = \"<VARIABLE>\" }, { key = \"name\" } for a fact of the app, or { external_ip = true } alone.");
      }
    }
  }
  for (const name of Object.keys(config.env?.computed ?? {})) {
    if (!isValidEnvName(name)) throw fail(["env", "computed", name], "is not a valid environment variable name", envHint);
  }
  for (const [table, workers] of [["run", "workers"], ["processes"]].map((path) => [path, path.length === 1 ? config.processes : config.run?.workers] as const)) {
    for (const [name, command] of Object.entries(workers ?? {})) {
      if (!isValidWorkerName(name)) throw fail([...table, name], "is not a valid worker name", undefined, "WORKER_NAME_INVALID");
      if (command.trim() === "") throw fail([...table, name], "has an empty command", "Write the command the worker runs, or remove the key.");
    }
  }
  const start = config.run?.start;
  if (start !== undefined && (typeof start === "string" ? [start] : start.length > 0 ? start : [""]).some((command) => command.trim() === "")) {
    throw fail(["run", "start"], "is empty", "Write the command of the web worker, or remove the key.");
  }
  const volume = findVolumeProblem(config.volumes ?? []);
  if (volume) {
    const path = ["volumes", String(volume.index), volume.key];
    const line = findTomlLine(source, path);
    throw coreError(volume.code, `${where(file, line)}: "${path.join(".")}" ${volume.message}.`, { ...(volume.hint && { hint: volume.hint }), details: { file, line, key: path.join(".") } });
  }
  for (const name of Object.keys(config.contexts ?? {})) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name)) {
      throw fail(["contexts", name], "is not a valid context name", "Context names start with a letter or digit, then letters, digits, '-' or '_' (at most 64).");
    }
  }
  for (const table of ["addons", "provider"] as const) {
    for (const [index, addon] of (config[table] ?? []).entries()) {
      if (addon.type === undefined && addon.name === undefined) throw fail([table, String(index)], "names no service", 'Write its kind: type = "postgres".');
    }
  }
}

const firstLine = (text: string) => text.split("\n")[0]!.trim();

/** "hop3.toml line 3", or just the file when the line is not known. */
export const where = (file: string, line: number | undefined) => (line ? `${file} line ${line}` : file);
