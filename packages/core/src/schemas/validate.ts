import { FormatRegistry, Kind, Value, ValueErrorType, type TSchema, type ValueError } from "../vendor/typebox.js";
import { APP_NAME_PATTERN, CONTRIBUTION_NAME_PATTERN, HTTP_PATH_PATTERN } from "./names.js";

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
if (!FormatRegistry.Has("date-time")) {
  FormatRegistry.Set("date-time", (value) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)));
}

/** One schema violation, with the path as a list of keys ("build", "builder"). */
export interface SchemaIssue {
  readonly path: readonly string[];
  /** The key is not defined by the schema (as opposed to a value of the wrong type). */
  readonly unknownKey: boolean;
  /** A required key is absent. */
  readonly missingKey: boolean;
  /** What the schema expects at that path, in words ("a string or a list of strings"). */
  readonly expected: string;
  readonly value: unknown;
  readonly schemaMessage: string;
  /** For an unknown key: the keys its table does define, for "did you mean". */
  readonly knownKeys: readonly string[];
}

/**
 * Checks a value against a TypeBox schema and returns the issues in a stable order: unknown keys
 * first (they usually explain the rest), then missing keys, then wrong values.
 */
export function findSchemaIssues(schema: TSchema, value: unknown): SchemaIssue[] {
  const issues = [...Value.Errors(schema, value)].flatMap((error) => toIssues(schema, error));
  const rank = (issue: SchemaIssue) => (issue.unknownKey ? 0 : issue.missingKey ? 1 : 2);
  return issues.sort((a, b) => rank(a) - rank(b));
}

/**
 * A table that matches none of a union's forms is checked against the form it most looks like,
 * so `{ generat = "urlsafe" }` says "did you mean generate" rather than listing every form.
 */
function toIssues(root: TSchema, error: ValueError, prefix = "", exact = false): SchemaIssue[] {
  if (error.type === ValueErrorType.Union && isTable(error.value)) {
    const member = closestTableForm(error.schema, error.value as Record<string, unknown>);
    if (member) {
      const path = prefix + error.path;
      return [...Value.Errors(member, error.value)].flatMap((inner) => toIssues(root, inner, path, true));
    }
  }
  return [toIssue(root, error, prefix, exact)];
}

function toIssue(root: TSchema, error: ValueError, prefix: string, exact: boolean): SchemaIssue {
  const path = (prefix + error.path).split("/").slice(1).map(unescapePointer);
  const unknownKey = error.type === ValueErrorType.ObjectAdditionalProperties;
  return {
    path,
    unknownKey,
    missingKey: error.type === ValueErrorType.ObjectRequiredProperty,
    expected: describeSchema(exact ? error.schema : (schemaAt(root, path) ?? error.schema)),
    value: error.value,
    schemaMessage: error.message,
    knownKeys: unknownKey ? knownKeys(error.schema) : [],
  };
}

const isTable = (value: unknown): boolean =>
  typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);

/** The table form of a union whose keys the value shares most (exact names count double). */
function closestTableForm(union: TSchema, value: Record<string, unknown>): TSchema | undefined {
  let best: TSchema | undefined;
  let bestScore = 0;
  for (const member of (union.anyOf ?? []) as TSchema[]) {
    const keys = knownKeys(member);
    if (keys.length === 0) continue;
    const score = Object.keys(value).reduce((sum, key) => sum + (keys.includes(key) ? 2 : suggest(key, keys) ? 1 : 0), 0);
    if (score > bestScore) {
      best = member;
      bestScore = score;
    }
  }
  return best;
}

const unescapePointer = (segment: string) => segment.replace(/~1/g, "/").replace(/~0/g, "~");

/** The sub-schema that applies at a path, following objects, records and arrays. */
export function schemaAt(root: TSchema, path: readonly string[]): TSchema | undefined {
  let current: TSchema | undefined = root;
  for (const key of path) {
    if (current === undefined) return undefined;
    if (current[Kind] === "Union") {
      current = (current.anyOf as TSchema[]).find((member) => schemaAt(member, [key]) !== undefined);
      if (current === undefined) return undefined;
    }
    if (current.type === "object") {
      current =
        current.properties?.[key] ??
        (current.patternProperties ? (Object.values(current.patternProperties)[0] as TSchema) : undefined) ??
        (typeof current.additionalProperties === "object" ? (current.additionalProperties as TSchema) : undefined);
    } else if (current.type === "array") {
      current = current.items as TSchema;
    } else {
      return undefined;
    }
  }
  return current;
}

/** The keys an object schema defines, for "did you mean" suggestions. */
export function knownKeys(schema: TSchema | undefined): string[] {
  return schema?.type === "object" && schema.properties ? Object.keys(schema.properties) : [];
}

/** Says in words what a schema accepts. */
export function describeSchema(schema: TSchema | undefined): string {
  if (!schema) return "a known key";
  if (schema[Kind] === "Union") return (schema.anyOf as TSchema[]).map(describeSchema).join(" or ");
  if (schema[Kind] === "Literal") return JSON.stringify(schema.const);
  switch (schema.type) {
    case "string": {
      if (schema.pattern === HTTP_PATH_PATTERN) return "a path starting with /, without spaces or control characters";
      if (schema.format) return `a ${schema.format} string`;
      if (schema.pattern) return PATTERN_WORDS[schema.pattern] ?? `a string matching ${schema.pattern}`;
      return schema.minLength ? "a non-empty string" : "a string";
    }
    case "integer":
    case "number": {
      const noun = schema.type === "integer" ? "an integer" : "a number";
      const min = schema.minimum ?? schema.exclusiveMinimum;
      if (min !== undefined && schema.maximum !== undefined) return `${noun} from ${min} to ${schema.maximum}`;
      if (schema.exclusiveMinimum !== undefined) return `${noun} greater than ${schema.exclusiveMinimum}`;
      if (min !== undefined) return `${noun} of at least ${min}`;
      return noun;
    }
    case "boolean":
      return "true or false";
    case "array":
      return `a list of ${plural(describeSchema(schema.items as TSchema))}`;
    case "object": {
      if (schema.title) return `a ${schema.title}`;
      if (schema.patternProperties) {
        const values = Object.values(schema.patternProperties)[0] as TSchema;
        return `a table of ${plural(describeSchema(values))}`;
      }
      return "a table";
    }
    default:
      return "a valid value";
  }
}

/** Patterns users meet in messages, said in words. */
const PATTERN_WORDS: Readonly<Record<string, string>> = {
  [CONTRIBUTION_NAME_PATTERN]: "a lowercase name (letters, digits, '.', '_', '/', '-')",
  [APP_NAME_PATTERN]: "a valid app name (lowercase letters, digits, '-')",
};

const plural = (phrase: string) =>
  phrase
    .split(" or ")
    .map((part) => part.replace(/^an? (\w+)/, "$1s"))
    .join(" or ");

/** What a value is, in the words of a TOML or JSON user. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (value instanceof Date) return "a date";
  switch (typeof value) {
    case "string":
      return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
    case "number":
      return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
    case "boolean":
      return `${value}`;
    case "object":
      return typeof (value as { toISOString?: unknown }).toISOString === "function" ? "a date" : "a table";
    default:
      return typeof value;
  }
}

/** The closest known word within a small edit distance, for "did you mean". */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length < 3) return undefined;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(previous[j]! + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}
