import { parseOptions, z } from "@hop3/core";

/** The package name, used as the plugin name and in option errors. */
export const PACKAGE_NAME = "@hop3/builder-docker";

const DockerBuilderOptionsSchema = z
  .object({
    /** The docker CLI: a name looked up on PATH or an absolute path (default "docker"). */
    docker: z
      .string()
      .trim()
      .regex(/^(\/.*[^/]|[^/]+)$/, "must name a program: a name looked up on PATH, or an absolute path")
      .default("docker"),
    /** Time limit of one `docker build` in seconds (default 1800). */
    timeoutSeconds: z.number().positive().default(1800),
    /**
     * Network of the build's RUN steps, passed as `docker build --network` ("none", "host"...).
     * Unset: the engine's default. An engine started with `--bridge=none` needs "none" or "host".
     */
    network: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "must be a Docker network name such as none, host or bridge")
      .optional(),
    /** Container port when neither hop3.toml ([docker] port, [port] web, [web] port) nor an EXPOSE names one (default 8080). */
    defaultPort: z.number().int().min(1).max(65535).default(8080),
    /** Order among builders in auto mode, lower first (default 20: after Nix, before Local). */
    priority: z.number().int().default(20),
  })
  .strict();

/** Options of `createDockerBuilder` and `dockerPlugin`. Every field is optional. */
export type DockerBuilderOptions = Readonly<z.input<typeof DockerBuilderOptionsSchema>>;

/** The options once validated, with every default filled in. */
export type ResolvedDockerOptions = z.output<typeof DockerBuilderOptionsSchema>;

/** Validates factory options at once; raises OPTIONS_INVALID naming the bad option. */
export function resolveDockerOptions(options: DockerBuilderOptions | undefined): ResolvedDockerOptions {
  return parseOptions(DockerBuilderOptionsSchema, options, PACKAGE_NAME);
}
