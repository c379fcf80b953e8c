import { isAbsolute, resolve } from "node:path";
import { coreError } from "../error-codes.js";
import { RuntimeJsonSchema, type RuntimeJson } from "../schemas/runtime-json.js";
import { isValidEnvName, isValidWorkerName } from "../schemas/names.js";
import { describeValue, findSchemaIssues } from "../schemas/validate.js";
import { isDirectory } from "../fs.js";
import { isCronWorker, parseCron } from "./procfile.js";

export interface ParseRuntimeJsonOptions {
  /** Shown in messages (e.g. the store path of the file). */
  file?: string;
  /**
   * When given, the `static` worker's directory must exist; relative paths are resolved
   * against this directory (the artifact's location).
   */
  baseDir?: string;
}

/** A directory path, not a command: no spaces, quotes or shell metacharacters, no `..`. */
const STATIC_PATH = /^[A-Za-z0-9._/+@=,-]+$/;

/** A parsed runtime.json, and what the user should hear about it. */
export interface ParsedRuntimeJson {
  readonly runtime: RuntimeJson;
  /** One line per key the specification does not define: ignored, as the original Hop3 ignores them. */
  readonly warnings: readonly string[];
}

const RUNTIME_KEYS = Object.keys(RuntimeJsonSchema.properties);

/**
 * Parses and validates runtime.json as the Nix integration specification defines it. A key it
 * does not define is a warning and is dropped (the original reads the keys it knows, with
 * defaults); a bad value of a key it defines is a coded error.
 */
export function parseRuntimeJson(text: string, options: ParseRuntimeJsonOptions = {}): ParsedRuntimeJson {
  const file = options.file ?? "runtime.json";
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw coreError("RUNTIME_JSON_NOT_JSON", `${file} is not valid JSON: ${(error as Error).message}.`, {
      cause: error,
      details: { file },
    });
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw coreError("RUNTIME_JSON_INVALID", `${file} must hold a JSON object, not ${describeValue(data)}.`, {
      details: { file },
    });
  }
  const workers = (data as { workers?: unknown }).workers;
  if (workers === undefined || (isPlainObject(workers) && Object.keys(workers).length === 0)) {
    throw coreError("RUNTIME_JSON_WORKERS_MISSING", `${file} has no "workers"${workers ? " (the object is empty)" : ""}.`, {
      details: { file, key: "workers" },
    });
  }

  const unknownKeys = Object.keys(data).filter((key) => !RUNTIME_KEYS.includes(key));
  const warnings = unknownKeys.map((key) => `${file} has a key Hop3 does not know, "${key}" (runtime.json holds workers, env and path): it is ignored.`);
  const known = Object.fromEntries(Object.entries(data).filter(([key]) => RUNTIME_KEYS.includes(key)));
  const issue = findSchemaIssues(RuntimeJsonSchema, known)[0];
  if (issue) {
    const key = issue.path.join(".");
    throw coreError("RUNTIME_JSON_INVALID", `${file}: "${key}" must be ${issue.expected}, not ${describeValue(issue.value)}.`, { details: { file, key } });
  }

  const runtime = known as RuntimeJson;
  for (const name of Object.keys(runtime.workers)) {
    if (!isValidWorkerName(name)) {
      throw coreError("WORKER_NAME_INVALID", `${file}: "workers.${name}" is not a valid worker name.`, {
        details: { file, key: `workers.${name}` },
      });
    }
  }
  for (const name of Object.keys(runtime.env ?? {})) {
    if (!isValidEnvName(name)) {
      throw coreError("RUNTIME_JSON_INVALID", `${file}: "env.${name}" is not a valid environment variable name.`, {
        hint: "Environment variable names use letters, digits and '_', and do not start with a digit.",
        details: { file, key: `env.${name}` },
      });
    }
  }
  // A cron worker's value is `<five fields> <command>`, as in a Procfile.
  for (const [name, command] of Object.entries(runtime.workers)) if (isCronWorker(name)) parseCron({ name, command, line: 0 }, `${file} "workers.${name}"`);
  const staticDir = runtime.workers.static;
  if (staticDir !== undefined) checkStaticDir(staticDir, file, options.baseDir);
  return { runtime, warnings };
}

function checkStaticDir(value: string, file: string, baseDir: string | undefined): void {
  if (!STATIC_PATH.test(value) || value.split("/").includes("..")) {
    throw coreError("RUNTIME_JSON_STATIC_NOT_A_PATH", `${file}: "workers.static" is "${value}", which is not a directory path.`, {
      details: { file, key: "workers.static" },
    });
  }
  if (baseDir === undefined) return;
  const dir = isAbsolute(value) ? value : resolve(baseDir, value);
  if (!isDirectory(dir)) {
    throw coreError("RUNTIME_JSON_STATIC_DIR_MISSING", `${file}: "workers.static" names ${dir}, which is not an existing directory.`, {
      details: { file, key: "workers.static", path: dir },
    });
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
