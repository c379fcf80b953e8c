import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { writeJsonAtomic } from "../fs.js";
import { isValidAppName } from "../schemas/names.js";
import { readStateFile } from "./app-record.js";

/**
 * Core's record of one addon instance, `<HOP3_HOME>/addons/<instance>.json`, as the addons pipeline
 * writes it. A stand-in reader and writer for backups until that pipeline's own
 * (`readAddonRecords`, attach) is merged: same file, same shape.
 */
export interface AddonInstanceRecord {
  readonly name: string;
  /** The addon kind ("postgres", "redis"). */
  readonly kind: string;
  readonly createdAt: string;
  /** The apps it is attached to. */
  readonly attachedTo: readonly string[];
}

const AddonRecordSchema: z.ZodType<AddonInstanceRecord> = z.object({
  name: z.string(),
  kind: z.string(),
  createdAt: z.string(),
  attachedTo: z.array(z.string()),
});

const addonsDir = (home: string) => join(home, "addons");

export function readAddonInstance(home: string, name: string): AddonInstanceRecord | undefined {
  if (!isValidAppName(name)) return undefined;
  const path = join(addonsDir(home), `${name}.json`);
  return existsSync(path) ? readStateFile(path, AddonRecordSchema, { addon: name }) : undefined;
}

/** Every instance, by name. */
export function readAddonInstances(home: string): AddonInstanceRecord[] {
  if (!existsSync(addonsDir(home))) return [];
  return readdirSync(addonsDir(home))
    .filter((file) => file.endsWith(".json"))
    .sort()
    .flatMap((file) => readAddonInstance(home, file.slice(0, -".json".length)) ?? []);
}

export function writeAddonInstance(home: string, record: AddonInstanceRecord): void {
  writeJsonAtomic(join(addonsDir(home), `${record.name}.json`), record);
}
