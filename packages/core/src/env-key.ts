import { coreError } from "./error-codes.js";
import { isValidEnvName } from "./schemas/names.js";

/** The name as given, or CONFIG_KEY_INVALID when it cannot be an environment variable's. */
export function checkEnvKey(key: string): string {
  if (!isValidEnvName(key)) throw coreError("CONFIG_KEY_INVALID", `"${key}" is not a valid environment variable name.`, { details: { key } });
  return key;
}
