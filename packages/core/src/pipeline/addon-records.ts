import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { z } from "../vendor/zod.js";
import { coreError } from "../error-codes.js";
import { writeJsonAtomic } from "../fs.js";
import { ensureDir } from "../host/home-layout.js";
import { runsAsRoot } from "../host/users.js";
import { isValidAppName } from "../schemas/names.js";
import { readStateFile } from "./app-record.js";

/**
 * Core's record of one addon instance, `<HOP3_HOME>/addons/<instance>.json`: which kind made it and
 * which apps it is attached to. The addon keeps its credentials in its own files; this record
 * holds no secret, yet it is root's alone like every state file (0600, in a directory others may
 * only pass through: the kinds' servers keep their data in `addons/<kind>/` beside it).
 */
export interface AddonRecord {
  /** The instance's name: an app name's rules (a DNS label), so it is safe in file names and SQL identifiers. */
  readonly name: string;
  /** The kind that made it, as the addon names itself ("postgres", "redis"). */
  readonly kind: string;
  readonly createdAt: string;
  /** The apps that get its variables, sorted. */
  readonly attachedTo: readonly string[];
}

const AddonRecordSchema: z.ZodType<AddonRecord> = z.object({
  name: z.string(),
  kind: z.string(),
  createdAt: z.string(),
  attachedTo: z.array(z.string()),
});

/** Where the instances' records are (and, below it, each kind's server data). */
export const addonsDir = (home: string): string => join(home, "addons");

const recordPath = (home: string, name: string) => join(addonsDir(home), `${name}.json`);

/** Instance names follow app names' rules. */
export const isValidAddonName = isValidAppName;

/** The instance's record; undefined when there is none; APP_STATE_CORRUPT when the file does not hold one. */
export function readAddonRecord(home: string, name: string): AddonRecord | undefined {
  if (!isValidAddonName(name)) return undefined;
  const path = recordPath(home, name);
  if (!existsSync(path)) return undefined;
  return readStateFile(path, AddonRecordSchema, { addon: name }, (record) => (record.name === name ? undefined : `it names addon "${record.name}"`));
}

/** Every instance's record, sorted by name. */
export function readAddonRecords(home: string): AddonRecord[] {
  const dir = addonsDir(home);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith(".json"))
    .map((file) => file.slice(0, -".json".length))
    .sort()
    .flatMap((name) => {
      const record = readAddonRecord(home, name);
      return record ? [record] : [];
    });
}

/** The instance's record, or ADDON_NOT_FOUND naming it. */
export function requireAddonRecord(home: string, name: string): AddonRecord {
  const record = readAddonRecord(home, name);
  if (!record) throw coreError("ADDON_NOT_FOUND", `There is no addon named "${name}" in ${home}.`, { details: { addon: name, home } });
  return record;
}

/** Makes the addons directory root's: passable (the kinds' servers reach their data below it), not listable. */
export function prepareAddonsDir(home: string): string {
  const dir = addonsDir(home);
  ensureDir(dir, runsAsRoot() ? { mode: 0o711, uid: 0, gid: 0 } : { mode: 0o711 });
  return dir;
}

export function writeAddonRecord(home: string, record: AddonRecord): AddonRecord {
  prepareAddonsDir(home);
  const sorted = { ...record, attachedTo: [...new Set(record.attachedTo)].sort() };
  writeJsonAtomic(recordPath(home, record.name), sorted);
  return sorted;
}

export function removeAddonRecord(home: string, name: string): void {
  rmSync(recordPath(home, name), { force: true });
}

/** The instances attached to an app, sorted by name. */
export function addonsOfApp(home: string, app: string): AddonRecord[] {
  return readAddonRecords(home).filter((record) => record.attachedTo.includes(app));
}
