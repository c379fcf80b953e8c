import { Hop3Error, type RunOptions, type ToolchainBuildContext } from "@hop3/core";
import { localError } from "../errors.js";
import { runStep } from "./shared.js";

/**
 * What package managers print when they cannot reach a registry: a name that does not resolve, a
 * network that cannot be routed to, a tool told to stay offline that lacks a dependency. Matched on
 * the output with runs of spaces joined, as tools wrap long messages.
 */
const OFFLINE_SIGNS: readonly RegExp[] = [
  /getaddrinfo/i,
  /Name or service not known/i,
  /Temporary failure in name resolution/i,
  /Could not resolve host/i,
  /failed to resolve address/i,
  /Network is unreachable/i,
  /UnknownHostException/,
  /Unknown host/i,
  /No route to host/i,
  /in offline mode/i, // Maven -o, Leiningen :offline?
  /you're using offline mode/i, // cargo --offline
  /--offline was specified/i, // cargo
  /Could not transfer artifact .* transfer failed for /, // Leiningen, which leaves out the cause
];

/** The output lines that show a registry could not be reached, or none. */
export function offlineEvidence(lines: readonly string[]): string[] {
  const joined = lines.map((line) => line.replace(/\s+/g, " ").trim()).filter((line) => line !== "");
  const hits = joined.filter((line) => OFFLINE_SIGNS.some((sign) => sign.test(line)));
  if (hits.length > 0) return hits;
  // A message wrapped over several lines (Composer's boxes) matches only once joined.
  const whole = joined.join(" ");
  return OFFLINE_SIGNS.some((sign) => sign.test(whole)) ? [whole.slice(0, 300)] : [];
}

/** Output lines kept to find why a download failed: the reason is often far above the last lines. */
const KEPT_LINES = 300;

/**
 * runStep for a step that downloads the app's dependencies: when it fails because a registry cannot
 * be reached, LOCAL_DEPENDENCIES_NEED_NETWORK says so in those words, with `offlineHint` (how this
 * toolchain builds without the network); any other failure keeps runStep's `code`.
 */
export async function runFetchingStep(
  context: ToolchainBuildContext,
  code: "LOCAL_INSTALL_FAILED" | "LOCAL_BUILD_FAILED",
  what: string,
  file: string,
  args: readonly string[],
  offlineHint: string,
  options: RunOptions = {},
): Promise<void> {
  try {
    await runStep(context, code, what, file, args, { keepLines: KEPT_LINES, ...options });
  } catch (error) {
    if (!Hop3Error.is(error) || error.code !== code) throw error;
    const evidence = offlineEvidence((error.details.lastLines as string[] | undefined) ?? []);
    if (evidence.length === 0) throw error;
    const shown = evidence.slice(0, 3).map((line) => `  ${line}`).join("\n");
    throw localError(
      "LOCAL_DEPENDENCIES_NEED_NETWORK",
      `"${context.app.name}" needs the network to fetch its dependencies: ${what} could not reach the registry from this server.\n${shown}`,
      { hint: offlineHint, cause: error, details: { app: context.app.name, step: what, evidence } },
    );
  }
}
