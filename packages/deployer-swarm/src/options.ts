import { parseOptions, z } from "@hop3/core";

/** The package's name, as the plugin and option errors name it. */
export const PACKAGE_NAME = "@hop3/deployer-swarm";
/** The deployer's name. */
export const DEPLOYER_NAME = "swarm";

const program = z
  .string()
  .trim()
  .regex(/^(\/.*[^/]|[^/]+)$/, "must name a program: a name looked up on PATH, or an absolute path");

const SwarmDeployerOptionsSchema = z
  .object({
    /** The docker CLI (default "docker"); it reaches the engine of DOCKER_HOST, a Swarm manager. */
    docker: program.default("docker"),
    /** The Go compiler that builds hop3-run, once per version of it (default "go"). */
    go: program.default("go"),
    /** nix-store, which lists a Nix app's closure to pack it into an image (default "nix-store"). */
    nixStore: program.default("nix-store"),
    /**
     * `host:port` of a registry of your own the nodes pull from. Unset: Hop3's own registry
     * (Debian's `docker-registry`, on 127.0.0.1, started by the first deploy and by `hop3 server
     * start`). `false`: no registry, images stay on the manager's engine (a single-node swarm).
     */
    registry: z
      .union([z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$/, "must be host or host:port, such as 127.0.0.1:5000"), z.literal(false)])
      .optional(),
    /** Seconds Swarm watches each new task before it moves on (update-monitor); default 2. */
    updateMonitorSeconds: z.number().positive().max(600).default(2),
    /** Seconds a rolling update may take in all before Hop3 reports it stuck (default 300). */
    updateTimeoutSeconds: z.number().positive().default(300),
  })
  .strict();

/** Options of `createSwarmDeployer` and `swarmDeployerPlugin`. Every field is optional. */
export type SwarmDeployerOptions = Readonly<z.input<typeof SwarmDeployerOptionsSchema>>;

/** The options once validated, with every default filled in. */
export type ResolvedSwarmOptions = z.output<typeof SwarmDeployerOptionsSchema>;

/** Validates factory options at once; raises OPTIONS_INVALID naming the bad option. */
export function resolveSwarmOptions(options: SwarmDeployerOptions | undefined): ResolvedSwarmOptions {
  return parseOptions(SwarmDeployerOptionsSchema, options, PACKAGE_NAME);
}
