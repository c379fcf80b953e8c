import type { BuildArtifact } from "../schemas/artifact.js";

/**
 * What an artifact is, as deployers choose it (never by its `kind`, which only names what made it):
 * - `processes`: its workers are commands to run (any language, any plugin's kind);
 * - `container-image`: its workers are commands that each start a container from the image at
 *   `location` (`runtime.isolation: "container"`);
 * - `static-directory`: its one worker, `static`, is a directory to serve; no process runs.
 */
export const ARTIFACT_SHAPES = ["processes", "container-image", "static-directory"] as const;

export type ArtifactShape = (typeof ARTIFACT_SHAPES)[number];

/** The worker whose value is a directory the router serves, not a command. */
export const STATIC_WORKER = "static";

/** The shape of an artifact (see ARTIFACT_SHAPES): decided by what its runtime holds. */
export function artifactShape(artifact: BuildArtifact): ArtifactShape {
  return shapeOf(artifact.runtime.workers, artifact.runtime.isolation);
}

/** The shape of a runtime with these workers and isolation, as artifactShape decides it (also before the build). */
export function shapeOf(workers: Readonly<Record<string, string>>, isolation: "user" | "container" | undefined): ArtifactShape {
  if (isolation === "container") return "container-image";
  const names = Object.keys(workers);
  if (names.length === 1 && names[0] === STATIC_WORKER) return "static-directory";
  return "processes";
}

/** The shape in words, for messages: "command workers (web, worker)". */
export function describeShape(artifact: BuildArtifact): string {
  const commands = Object.keys(artifact.runtime.workers).filter((name) => name !== STATIC_WORKER);
  switch (artifactShape(artifact)) {
    case "container-image":
      return `a container image (${artifact.location}) run by command workers (${commands.join(", ") || "none"})`;
    case "static-directory":
      return `a static directory (${artifact.runtime.workers[STATIC_WORKER]})`;
    case "processes":
      return commands.length === 0 ? "an artifact with no workers at all" : `command workers (${commands.join(", ")})`;
  }
}
