import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type BuildArtifact, validateArtifact, writeJsonAtomic, z } from "@hop3/core";
import { uwsgiError } from "./errors.js";
import { appLayout, type AppLayout } from "./layout.js";

/** The limits a release was started with (AppLimits), kept so its cgroups can be made again after a reboot. */
const LimitsSchema = z
  .object({
    memoryBytes: z.number().int().positive().optional(),
    cpus: z.number().positive().optional(),
    processes: z.number().int().positive().optional(),
    openFiles: z.number().int().positive().optional(),
  })
  .strict();

const DeployStateSchema = z
  .object({
    version: z.literal(1),
    /** Instances per worker, as last applied (a worker the artifact has and this omits runs one). */
    scale: z.record(z.string(), z.number().int().min(0)),
    /** `web.<n>` to its port: kept across restarts, redeploys and stop/start. */
    ports: z.record(z.string(), z.number().int().min(1).max(65535)),
    /**
     * `web.<n>` to the port the same instance gets in the other slot, for the next release started
     * beside this one: kept, so the router names both slots' ports already and a switch reloads
     * nothing (absent in states written before).
     */
    standbyPorts: z.record(z.string(), z.number().int().min(1).max(65535)).optional(),
    /** True between stop and start: the vassals are gone on purpose. */
    stopped: z.boolean(),
    /** Whether the router was given a route for the app. */
    routed: z.boolean(),
    /** The slot the live release runs in (see Slot); states written before slots existed are `a`. */
    slot: z.enum(["a", "b"]).default("a"),
    /**
     * A release that passed its health gate in the other slot and is being switched to: written
     * before the route changes, cleared once the switch is recorded. Found on the next operation,
     * it tells an interrupted switch to finish (see repairInterruptedSwitch).
     */
    pending: z
      .object({ slot: z.enum(["a", "b"]), ports: z.record(z.string(), z.number().int().min(1).max(65535)), scale: z.record(z.string(), z.number().int().min(0)), limits: LimitsSchema.optional() })
      .strict()
      .optional(),
    /** The limits of the live release (absent in states written before limits existed). */
    limits: LimitsSchema.optional(),
    updatedAt: z.string(),
  })
  .strict();

/** What the deployer remembers of an app besides its artifact, in `<home>/apps/<app>/deploy/state.json`. */
export type DeployState = z.output<typeof DeployStateSchema>;

/** The stored release of an app: its artifact and its state. */
export interface StoredApp {
  readonly layout: AppLayout;
  readonly artifact: BuildArtifact;
  readonly state: DeployState;
}

/** Reads an app's stored release, or undefined when it was never deployed (or was destroyed). */
export function readStoredApp(home: string, app: string): StoredApp | undefined {
  const layout = appLayout(home, app);
  if (!existsSync(layout.artifactFile) || !existsSync(layout.stateFile)) return undefined;
  // Whatever is on disk crossed a boundary: check it like any artifact.
  const artifact = validateArtifact(readJson(layout.artifactFile), layout.artifactFile);
  const parsed = DeployStateSchema.safeParse(readJson(layout.stateFile));
  if (!parsed.success) {
    throw uwsgiError("UWSGI_STATE_INVALID", `${layout.stateFile} is not a valid deployment state: ${parsed.error.issues[0]?.message ?? "unknown problem"}.`, {
      details: { file: layout.stateFile },
    });
  }
  return { layout, artifact, state: parsed.data };
}

/** Saves the artifact of a release (atomically), to start it again later. */
export function writeArtifact(layout: AppLayout, artifact: BuildArtifact): void {
  writeJsonAtomic(layout.artifactFile, artifact);
}

/** The artifact of a release being switched to (state.pending), kept apart until the switch is recorded. */
export const pendingArtifactFile = (layout: AppLayout): string => `${layout.artifactFile.slice(0, -".json".length)}.pending.json`;

export function writePendingArtifact(layout: AppLayout, artifact: BuildArtifact): void {
  writeJsonAtomic(pendingArtifactFile(layout), artifact);
}

export function readPendingArtifact(layout: AppLayout): BuildArtifact | undefined {
  const file = pendingArtifactFile(layout);
  if (!existsSync(file)) return undefined;
  try {
    return validateArtifact(readJson(file), file);
  } catch {
    return undefined; // a broken pending artifact cannot be switched to: the live release stays
  }
}

/** Saves the state (atomically). */
export function writeState(layout: AppLayout, state: Omit<DeployState, "version" | "updatedAt" | "slot"> & { slot?: DeployState["slot"] }): DeployState {
  const full: DeployState = { version: 1, ...state, slot: state.slot ?? "a", updatedAt: new Date().toISOString() };
  writeJsonAtomic(layout.stateFile, full);
  return full;
}

/** Every port other apps of this HOP3_HOME hold in their state, so no two apps get the same one. */
export function reservedPorts(home: string, exceptApp: string): Set<number> {
  const reserved = new Set<number>();
  let apps: string[];
  try {
    apps = readdirSync(join(home, "apps"));
  } catch {
    return reserved;
  }
  for (const app of apps) {
    if (app === exceptApp) continue;
    try {
      const state = DeployStateSchema.safeParse(readJson(appLayout(home, app).stateFile));
      if (state.success) for (const port of [...Object.values(state.data.ports), ...Object.values(state.data.standbyPorts ?? {}), ...Object.values(state.data.pending?.ports ?? {})]) reserved.add(port);
    } catch {
      // Not deployed by this deployer, or unreadable: holds no port of ours.
    }
  }
  return reserved;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw uwsgiError("UWSGI_STATE_INVALID", `${path} could not be read as JSON: ${(error as Error).message}.`, { cause: error, details: { file: path } });
  }
}
