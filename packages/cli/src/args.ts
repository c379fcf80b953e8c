import { checkEnvKey, UsageError } from "@hop3/core";

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
