import { coreError } from "../error-codes.js";
import { BuildArtifactSchema, type BuildArtifact } from "../schemas/artifact.js";
import { isValidWorkerName } from "../schemas/names.js";
import { describeValue, findSchemaIssues } from "../schemas/validate.js";

/**
 * Checks a value that claims to be a BuildArtifact, wherever it crossed a boundary: returned by a
 * builder (`origin` "builder nix") or read back from disk (`origin` the file path).
 */
export function validateArtifact(value: unknown, origin: string): BuildArtifact {
  const issue = findSchemaIssues(BuildArtifactSchema, value)[0];
  if (issue) {
    const key = issue.path.join(".") || "(the artifact)";
    const problem = issue.unknownKey
      ? `has an unknown field "${key}"`
      : issue.missingKey
        ? `lacks the field "${key}"`
        : `has "${key}" = ${describeValue(issue.value)}, expected ${issue.expected}`;
    throw coreError("BUILD_ARTIFACT_INVALID", `The artifact from ${origin} ${problem}.`, { details: { origin, key } });
  }
  const artifact = value as BuildArtifact;
  for (const name of Object.keys(artifact.runtime.workers)) {
    if (!isValidWorkerName(name)) {
      throw coreError("BUILD_ARTIFACT_INVALID", `The artifact from ${origin} has an invalid worker name "${name}".`, {
        details: { origin, key: `runtime.workers.${name}` },
      });
    }
  }
  return artifact;
}
