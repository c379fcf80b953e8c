import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { type OperationContext, z } from "@hop3/core";
import { swarmDir } from "./runner.js";

/** What the deployer remembers of an app it runs; the swarm itself holds the rest (the services' specs). */
const SwarmAppStateSchema = z
  .object({
    app: z.string(),
    /** The release (artifact buildId) the services run. */
    buildId: z.string(),
    image: z.string(),
    secret: z.string(),
    containerPort: z.number().int(),
    workers: z.array(z.string()),
    /** Instances per worker, as last scaled. */
    replicas: z.record(z.string(), z.number().int().min(0)),
    /** The edge's published port on the manager, which nginx forwards to; absent without a web worker. */
    edgePort: z.number().int().optional(),
    stopped: z.boolean().optional(),
  })
  .strict();

export type SwarmAppState = z.infer<typeof SwarmAppStateSchema>;

const stateFile = (home: string, app: string): string => join(swarmDir(home), "apps", `${app}.json`);

export function readAppState(context: OperationContext, app: string): SwarmAppState | undefined {
  const value = context.state.read(stateFile(context.home, app));
  return value === undefined ? undefined : SwarmAppStateSchema.parse(value);
}

export function writeAppState(context: OperationContext, state: SwarmAppState): void {
  mkdirSync(dirname(stateFile(context.home, state.app)), { recursive: true, mode: 0o700 });
  context.state.write(stateFile(context.home, state.app), state);
}

export function removeAppState(context: OperationContext, app: string): void {
  context.state.remove(stateFile(context.home, app));
}
