import { parseArgs, type ParseArgsConfig } from "node:util";
import { checkEnvKey } from "@hop3/core";
import { UsageError } from "./usage-error.js";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: readonly string[];
}

/** Every command takes --json and --help. */
const COMMON: OptionSpec = { json: { type: "boolean" }, help: { type: "boolean", short: "h" } };

/** Parses a command's arguments strictly; anything unexpected is a UsageError naming it. */
export function parseCommandArgs(argv: readonly string[], options: OptionSpec, maxPositionals: number, usage: string): ParsedArgs {
  try {
    const parsed = parseArgs({ args: [...argv], options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
    if (parsed.positionals.length > maxPositionals && !parsed.values.help) {
      throw new UsageError(`unexpected argument "${parsed.positionals[maxPositionals]}"`, usage);
    }
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    if (UsageError.is(error)) throw error;
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ""), usage);
  }
}

/** `K=V` pairs into an object; a malformed pair is a UsageError, an invalid name CONFIG_KEY_INVALID. */
export function parseAssignments(pairs: readonly string[] | undefined, usage: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const equals = pair.indexOf("=");
    if (equals <= 0) throw new UsageError(`"${pair}" is not of the form KEY=VALUE`, usage);
    const key = pair.slice(0, equals);
    checkEnvKey(key);
    result[key] = pair.slice(equals + 1);
  }
  return result;
}
