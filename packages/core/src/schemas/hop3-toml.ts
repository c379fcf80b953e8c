import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { CONTRIBUTION_NAME_PATTERN, HTTP_PATH_PATTERN } from "./names.js";

/**
 * hop3.toml, Hop3 dialect. Keys keep upstream's spelling (hyphens). Every table is closed:
 * a key this schema does not define is an error that names it.
 */

const section = <T extends Record<string, TSchema>>(properties: T, description: string) =>
  Type.Object(properties, { additionalProperties: false, description });

/** A shell command, or a list of commands run in order. */
const Commands = Type.Union([Type.String(), Type.Array(Type.String())], {
  description: "A command, or a list of commands run in order.",
});

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Seconds = Type.Integer({ minimum: 1, description: "Seconds." });

export const MetadataSection = section(
  {
    id: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
    title: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    author: Type.Optional(Type.String()),
    license: Type.Optional(Type.String()),
    website: Type.Optional(Type.String()),
    homepage: Type.Optional(Type.String()),
    repository: Type.Optional(Type.String()),
    tags: Type.Optional(Type.Array(Type.String())),
    categories: Type.Optional(Type.Array(Type.String())),
  },
  "Descriptive facts about the app; Hop3 shows them but does not act on them.",
);

export const BuildSection = section(
  {
    builder: Type.Optional(
      Type.String({
        pattern: CONTRIBUTION_NAME_PATTERN,
        description: 'Builder to use: "auto" (default), "nix", "local", "docker" or a plugin\'s builder name.',
      }),
    ),
    toolchain: Type.Optional(Type.String({ description: "Language toolchain the Local builder must use." })),
    "before-build": Type.Optional(Commands),
    build: Type.Optional(Commands),
    "after-build": Type.Optional(Commands),
    packages: Type.Optional(Type.Array(Type.String(), { description: "System packages the build needs." })),
    "node-version": Type.Optional(Type.String()),
    ignore: Type.Optional(Type.Array(Type.String(), { description: "Patterns left out of the build copy." })),
  },
  "How the app is built.",
);

export const RunSection = section(
  {
    start: Type.Optional(Type.String({ description: "Command of the `web` worker." })),
    "before-run": Type.Optional(Commands),
    packages: Type.Optional(Type.Array(Type.String())),
    "start-timeout": Type.Optional(Seconds),
    workers: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: "Worker name to command; `web` is the HTTP worker." }),
    ),
  },
  "How the app runs.",
);

export const EnvSection = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
  description: "Environment variables for every worker; numbers and booleans are written as text.",
});

export const HealthcheckSection = section(
  {
    path: Type.Optional(Type.String({ pattern: HTTP_PATH_PATTERN, description: "HTTP path to ask, starting with /." })),
    timeout: Type.Optional(Seconds),
    interval: Type.Optional(Seconds),
    retries: Type.Optional(Type.Integer({ minimum: 0 })),
    contains: Type.Optional(Type.String({ description: "Text the answer must contain." })),
  },
  "How Hop3 decides a new release is up.",
);

export const PortSection = section(
  { web: Type.Optional(Port) },
  "Ports the app listens on inside its container or process.",
);

export const DockerSection = section(
  {
    dockerfile: Type.Optional(Type.String()),
    port: Type.Optional(Port),
    target: Type.Optional(Type.String()),
    "build-args": Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  "Options of the Docker builder.",
);

export const NixSection = section(
  {
    include: Type.Optional(
      Type.Array(Type.String(), {
        description: "Entries passed as `-I` to nix-build (e.g. \"nixpkgs=./vendor/nixpkgs\"); relative paths are relative to the app.",
      }),
    ),
    options: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: "Nix settings passed as `--option NAME VALUE`." }),
    ),
    timeout: Type.Optional(Seconds),
  },
  "Options of the Nix builder.",
);

export const Hop3TomlSchema = Type.Object(
  {
    metadata: Type.Optional(MetadataSection),
    build: Type.Optional(BuildSection),
    run: Type.Optional(RunSection),
    env: Type.Optional(EnvSection),
    healthcheck: Type.Optional(HealthcheckSection),
    port: Type.Optional(PortSection),
    docker: Type.Optional(DockerSection),
    nix: Type.Optional(NixSection),
  },
  {
    $id: "https://hop3.dev/schemas/hop3.toml.json",
    title: "hop3.toml",
    description: "Configuration of an app deployed with Hop3.",
    additionalProperties: false,
  },
);

export type Hop3Toml = Static<typeof Hop3TomlSchema>;
