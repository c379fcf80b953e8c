import { parse, TomlError } from "smol-toml";
import { coreError } from "../error-codes.js";
import { Hop3TomlSchema, type Hop3Toml } from "../schemas/hop3-toml.js";
import { isValidEnvName, isValidWorkerName } from "../schemas/names.js";
import { describeValue, findSchemaIssues, knownKeys, schemaAt, suggest } from "../schemas/validate.js";
import { findTomlLine } from "./toml-lines.js";

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
      const guess = suggest(name, knownKeys(schemaAt(Hop3TomlSchema, parent)));
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

/** Names that become file names or shell variables get checked beyond their type. */
function checkNames(config: Hop3Toml, source: string, file: string): void {
  for (const name of Object.keys(config.env ?? {})) {
    if (!isValidEnvName(name)) {
      const line = findTomlLine(source, ["env", name]);
      throw coreError("CONFIG_INVALID_VALUE", `${where(file, line)}: "env.${name}" is not a valid environment variable name.`, {
        hint: "Environment variable names use letters, digits and '_', and do not start with a digit.",
        details: { file, line, key: `env.${name}` },
      });
    }
  }
  for (const [name, command] of Object.entries(config.run?.workers ?? {})) {
    const line = findTomlLine(source, ["run", "workers", name]);
    if (!isValidWorkerName(name)) {
      throw coreError("WORKER_NAME_INVALID", `${where(file, line)}: "run.workers.${name}" is not a valid worker name.`, {
        details: { file, line, key: `run.workers.${name}` },
      });
    }
    if (command.trim() === "") {
      throw coreError("CONFIG_INVALID_VALUE", `${where(file, line)}: "run.workers.${name}" has an empty command.`, {
        hint: "Write the command the worker runs, or remove the key.",
        details: { file, line, key: `run.workers.${name}` },
      });
    }
  }
  if (config.run?.start !== undefined && config.run.start.trim() === "") {
    const line = findTomlLine(source, ["run", "start"]);
    throw coreError("CONFIG_INVALID_VALUE", `${where(file, line)}: "run.start" is empty.`, {
      hint: "Write the command of the web worker, or remove the key.",
      details: { file, line, key: "run.start" },
    });
  }
}

const firstLine = (text: string) => text.split("\n")[0]!.trim();

/** "hop3.toml line 3", or just the file when the line is not known. */
export const where = (file: string, line: number | undefined) => (line ? `${file} line ${line}` : file);
