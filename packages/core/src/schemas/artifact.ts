import { Type, type Static } from "../vendor/typebox.js";
import { APP_NAME_PATTERN, CONTRIBUTION_NAME_PATTERN, HTTP_PATH_PATTERN } from "./names.js";

export const HealthcheckSchema = Type.Object(
  {
    path: Type.String({ pattern: HTTP_PATH_PATTERN, description: "HTTP path asked to decide the app is up." }),
    timeoutSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    intervalSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    retries: Type.Optional(Type.Integer({ minimum: 0 })),
    contains: Type.Optional(Type.String({ description: "Text the answer's body must contain." })),
  },
  { additionalProperties: false },
);

/** How to run what was built. */
export const ArtifactRuntimeSchema = Type.Object(
  {
    workers: Type.Record(Type.String(), Type.String(), {
      description: "Worker name to command (or, for `static`, to a directory).",
    }),
    env: Type.Record(Type.String(), Type.String(), { description: "Environment set for every worker." }),
    path: Type.Array(Type.String(), { description: "Directories prepended to PATH, first wins." }),
    workingDir: Type.String({ description: "Directory the workers start in." }),
    beforeRun: Type.Optional(Type.Array(Type.String(), { description: "Commands run once before the workers start." })),
    healthcheck: Type.Optional(HealthcheckSchema),
    isolation: Type.Optional(
      Type.Union([Type.Literal("user"), Type.Literal("container")], {
        description:
          "How the workers are boxed. `user` (the default): they run as the app's own unprivileged user, in its cgroups. `container`: each command starts a container that is the box (`docker run`); the command runs as Hop3 with a clean environment, and gets the app's variables in a file named by HOP3_ENV_FILE and its limits as HOP3_LIMIT_MEMORY, HOP3_LIMIT_CPUS, HOP3_LIMIT_PROCESSES and HOP3_LIMIT_OPEN_FILES.",
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * What a Builder hands to a Deployer. Validated whenever it crosses a boundary: returned by a
 * builder (maybe a third party's) or read back from disk.
 */
export const BuildArtifactSchema = Type.Object(
  {
    apiVersion: Type.Literal(1),
    kind: Type.String({
      pattern: "^[a-z][a-z0-9-]*$",
      description: "nix, static, docker-image, python, node, go, ruby, generic, multi-language, or a plugin's kind.",
    }),
    location: Type.String({ minLength: 1, description: "Build directory, /nix/store path or image reference." }),
    builder: Type.String({ pattern: CONTRIBUTION_NAME_PATTERN, description: "Name of the builder that made it." }),
    appName: Type.String({ pattern: APP_NAME_PATTERN }),
    buildId: Type.String({ minLength: 1, description: "Identifies this build (the Nix store hash, an image id...)." }),
    builtAt: Type.String({ format: "date-time", description: "ISO 8601 time the build finished." }),
    metadata: Type.Record(Type.String(), Type.Unknown(), { description: "Free-form facts from the builder." }),
    runtime: ArtifactRuntimeSchema,
  },
  {
    $id: "https://hop3.dev/schemas/build-artifact.json",
    title: "Hop3 BuildArtifact",
    description: "The result of a build, handed from a Builder to a Deployer.",
    additionalProperties: false,
  },
);

export type BuildArtifact = Static<typeof BuildArtifactSchema>;
export type ArtifactRuntime = Static<typeof ArtifactRuntimeSchema>;
export type Healthcheck = Static<typeof HealthcheckSchema>;
