import type { z } from "./vendor/zod.js";
import { coreError } from "./error-codes.js";

/**
 * Validates a plugin factory's options at once (`createNixBuilder({ timeoutSeconds: -1 })` fails
 * where it is called, not in the middle of a deploy). Raises OPTIONS_INVALID naming the option.
 */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown, plugin: string): z.output<S> {
  const result = schema.safeParse(options ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const unknown = issue.code === "unrecognized_keys" ? (issue as { keys: string[] }).keys : [];
  const key = unknown.length > 0 ? unknown.join(", ") : issue.path.join(".") || "(options)";
  const message = unknown.length > 0 ? `${plugin} has no option ${unknown.map((k) => `"${k}"`).join(", ")}.` : `Option "${key}" of ${plugin} is not valid: ${issue.message}.`;
  throw coreError("OPTIONS_INVALID", message, {
    details: { plugin, key, issues: result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) },
  });
}
