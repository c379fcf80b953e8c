import { chmodSync, cpSync, existsSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Addon } from "../contracts/addon.js";
import { coreError } from "../error-codes.js";
import { isSafeEntryPath, readBackupArchive, readBackupManifest, writeBackupArchive, type ArchiveInput, type BackupManifest } from "../formats/backup-archive.js";
import { writeJsonAtomic } from "../fs.js";
import { appStateDir, newReleaseId } from "../home.js";
import { appDirsOf, prepareHome } from "../host/home-layout.js";
import type { Logger } from "../logger.js";
import { guardPlugin } from "../planning.js";
import { isValidAppName } from "../schemas/names.js";
import { coreVersion } from "../version.js";
import { SecretsFileSchema } from "./app-env.js";
import { AppRecordSchema, readStateFile, requireAppRecord, writeAppRecord, withoutUpdatedAt, type AppRecord } from "./app-record.js";
import { replaceAppSource } from "./app-source.js";
import { checkEnvKey } from "../env-key.js";
import { checkDomain, MAX_DOMAINS } from "../domain-names.js";
import { destroyApp } from "./apps.js";
import { readAddonRecord, readAddonRecords, writeAddonRecord } from "./addon-records.js";
import type { CoreDistribution } from "./core-distribution.js";
import { deployApp, type DeployOutcome } from "./deploy.js";
import { createSteps, type Steps } from "./events.js";
import { lockApp } from "./lock.js";
import { signalOf, type PipelineOptions } from "./options.js";
import { listReleases } from "./releases.js";

/**
 * Backups of apps: `<HOP3_HOME>/backups/<id>.tar`, root's alone (0700 directory, 0600 files: an
 * archive holds the app's values and secrets). One archive holds an app's record, its generated
 * secrets, its live release's reference, that release's source, and a dump of each addon instance
 * attached to it (formats/backup-archive.ts is the layout and its verification).
 */

/** `<app>-<release-style stamp>`: sortable, and the app it is of is readable in it. */
const BACKUP_ID = /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)-(\d{8}T\d{6}Z-[a-z0-9]{4})$/;

export const backupsDir = (home: string): string => join(home, "backups");

/** The archive of a backup id, or BACKUP_ID_INVALID: an id never becomes a path before it is checked. */
export function backupFile(home: string, id: string): string {
  if (!BACKUP_ID.test(id)) {
    throw coreError("BACKUP_ID_INVALID", `${JSON.stringify(id)} is not a backup id (APP-YYYYMMDDTHHMMSSZ-xxxx).`, { details: { id } });
  }
  return join(backupsDir(home), `${id}.tar`);
}


/** What `backup create` made. */
export interface BackupOutcome {
  readonly id: string;
  readonly app: string;
  readonly file: string;
  readonly bytes: number;
  readonly createdAt: string;
  readonly release: string;
  /** Files of the source in the archive. */
  readonly sourceFiles: number;
  readonly addons: readonly { readonly instance: string; readonly kind: string; readonly format: string; readonly bytes: number }[];
  /** Source entries left out: links and special files (an archive holds regular files only). */
  readonly skipped: readonly string[];
}

/** A backup as listed: its manifest's facts, or why it cannot be read (listed, not fatal). */
export type BackupSummary =
  | { readonly id: string; readonly app: string; readonly createdAt: string; readonly bytes: number; readonly release: string; readonly hop3Version: string; readonly addons: readonly { readonly instance: string; readonly kind: string; readonly format: string }[] }
  | { readonly id: string; readonly app: string; readonly bytes: number; readonly corrupt: string };

export interface RestoreOptions extends PipelineOptions {
  /** Restore as this app (a new one) rather than as the app the backup is of. */
  readonly to?: string;
  /** Restore over the app when it exists: its source, values and addon data are replaced. */
  readonly force?: boolean;
}

/** What `backup restore` did. */
export interface RestoreOutcome {
  readonly id: string;
  /** The app the backup is of. */
  readonly from: string;
  readonly app: string;
  readonly deploy: DeployOutcome;
  readonly addons: readonly { readonly instance: string; readonly kind: string; readonly created: boolean }[];
}

/** The kind's addon, by name or alias. */
const addonOfKind = (distribution: CoreDistribution, kind: string): Addon | undefined =>
  distribution.registry.addons().find((addon) => addon.name === kind || addon.aliases?.includes(kind));

/**
 * Writes one archive of the app as it is live now, under its lock (no deploy changes it meanwhile).
 * The app keeps running; its addons are dumped by their own `backup()`.
 */
export async function createBackup(distribution: CoreDistribution, app: string, options: PipelineOptions = {}): Promise<BackupOutcome> {
  const { home } = distribution;
  requireAppRecord(home, app);
  const steps = createSteps(options.onStep);
  const unlock = lockApp(home, app, "backup create");
  const dir = backupsDir(home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const now = distribution.operationContext({ signal: signalOf(options) }).clock.now();
  const id = `${app}-${newReleaseId(now)}`;
  const work = mkdtempSync(join(dir, `.create-${id}-`));
  try {
    const record = requireAppRecord(home, app);
    const release = listReleases(home, app).find((r) => r.id === record.liveRelease);
    if (!release) throw coreError("APP_NOT_LIVE", `${app} has no live release to back up.`, { details: { app } });
    if (!isDirectoryNoFollow(release.source)) {
      throw coreError("BACKUP_SOURCE_MISSING", `The source of ${app}'s live release, ${release.source}, is no longer a directory.`, { details: { app, source: release.source } });
    }
    const source = sourceFiles(release.source);
    for (const skipped of source.skipped) steps.note(`source/${skipped} is not a regular file: it is left out of the backup.`);
    const inputs: ArchiveInput[] = [
      { path: "app/app.json", from: { content: json(record) } },
      { path: "app/release.json", from: { content: json(release) } },
      ...(existsSync(secretsPath(home, app)) ? [{ path: "app/secrets.json", from: { content: readFileSync(secretsPath(home, app)) } }] : []),
      ...source.files.map(({ path, mode }) => ({ path: `source/${path}`, from: { file: join(release.source, path), within: release.source }, mode })),
    ];
    const dumps = [];
    for (const instance of readAddonRecords(home).filter((r) => r.attachedTo.includes(app))) {
      const addon = addonOfKind(distribution, instance.kind);
      if (!addon) throw addonUnavailable(`${app} is attached to ${instance.name}, a ${instance.kind} addon, and this distribution has no ${instance.kind} addon to dump it.`, instance.kind);
      const file = join(work, `${instance.name}.dump`);
      const dump = await steps.run(`dump ${instance.name} (${instance.kind})`, (logger) => guardPlugin(`${addon.name} addon`, "backup", () => addon.backup(instance.name, file, distribution.operationContext({ logger, signal: signalOf(options) }))), (d) => `${d.bytes} bytes, ${d.format}`);
      const path = `addons/${instance.name}.dump`;
      inputs.push({ path, from: { file, within: work }, mode: 0o600 });
      dumps.push({ path, kind: instance.kind, instance: instance.name, format: dump.format, bytes: dump.bytes });
    }
    const file = backupFile(home, id);
    const header = {
      id,
      app,
      createdAt: now.toISOString(),
      hop3Version: coreVersion(),
      release: { id: release.id, builder: release.builder, deployer: release.deployer },
      addons: dumps.map(({ bytes: _bytes, ...dump }) => dump),
    };
    await steps.run("write archive", () => writeBackupArchive(file, header, inputs), () => file);
    return {
      id,
      app,
      file,
      bytes: statSync(file).size,
      createdAt: header.createdAt,
      release: release.id,
      sourceFiles: source.files.length,
      addons: dumps.map(({ instance, kind, format, bytes }) => ({ instance, kind, format, bytes })),
      skipped: source.skipped,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
    unlock();
  }
}

/** The archives under `<HOP3_HOME>/backups/`, oldest first; of one app when `app` is given. */
export async function listBackups(home: string, app?: string): Promise<BackupSummary[]> {
  const dir = backupsDir(home);
  if (!existsSync(dir)) return [];
  const summaries: BackupSummary[] = [];
  for (const name of readdirSync(dir).sort()) {
    const match = name.endsWith(".tar") ? BACKUP_ID.exec(name.slice(0, -".tar".length)) : null;
    if (!match || (app !== undefined && match[1] !== app)) continue;
    const id = name.slice(0, -".tar".length);
    const file = join(dir, name);
    const bytes = statSync(file).size;
    try {
      const manifest = await readBackupManifest(file);
      summaries.push({ id, app: manifest.app, createdAt: manifest.createdAt, bytes, release: manifest.release.id, hop3Version: manifest.hop3Version, addons: manifest.addons.map(({ instance, kind, format }) => ({ instance, kind, format })) });
    } catch (error) {
      summaries.push({ id, app: match[1]!, bytes, corrupt: (error as Error).message });
    }
  }
  return summaries;
}

/**
 * Restores a backup: the whole archive is read and verified first (BACKUP_ARCHIVE_CORRUPT or
 * BACKUP_ARCHIVE_UNSAFE, and nothing changed), and every refusal that can be known before is made
 * (the app exists, an addon kind is missing, an instance name is taken). Then the app's record,
 * secrets and source are put in place, each addon's data restored (into the same instances when
 * restoring as the same app, into new `<app>-<kind>` instances with `to`), and the source deployed
 * through the normal deploy. A new app whose restore fails after that is removed again.
 */
export async function restoreBackup(distribution: CoreDistribution, id: string, options: RestoreOptions = {}): Promise<RestoreOutcome> {
  const { home } = distribution;
  const file = backupFile(home, id);
  if (!existsSync(file)) throw coreError("BACKUP_NOT_FOUND", `There is no backup ${id} in ${backupsDir(home)}.`, { details: { id, home } });
  if (options.to !== undefined && !isValidAppName(options.to)) {
    throw coreError("APP_NAME_INVALID", `"${options.to}" is not a valid app name.`, { details: { name: options.to } });
  }
  const steps = createSteps(options.onStep);
  const staging = mkdtempSync(join(backupsDir(home), `.restore-${id}-`));
  try {
    const manifest = await steps.run("verify archive", () => readBackupArchive(file, staging), (m) => `${m.entries.length} entries, checksums match`);
    const staged = readStaged(file, staging, manifest);
    const app = options.to ?? manifest.app;
    const existing = existsSync(appStateDir(home, app));
    if (existing && !options.force) {
      throw coreError("BACKUP_APP_EXISTS", `${app} exists: restoring ${id} over it would replace its source, values and addon data.`, { details: { app, id } });
    }
    const addons = planAddons(distribution, manifest, app);
    let restored = false;
    const made: AddonTarget[] = [];
    try {
      await steps.run(`restore ${app}`, async () => putAppInPlace(distribution, app, staging, staged, existing));
      const results = [];
      for (const target of addons) {
        results.push(await steps.run(`restore ${target.instance} (${target.addon.name})`, (logger) => restoreAddon(distribution, target, app, join(staging, target.path), made, { logger, signal: signalOf(options) })));
      }
      const deploy = await deployApp(distribution, { dir: appDirsOf(home, app).sourceDir, appName: app }, options);
      restored = true;
      return { id, from: manifest.app, app, deploy, addons: results };
    } finally {
      if (!restored && !existing) await undoNewApp(distribution, steps, app, made);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * The staged record and secrets, read through their schemas, and every name in them that reaches a
 * configuration file checked as `hop3 config set` and `hop3 domains add` check it: an archive's JSON
 * is as untrusted as the rest of it (BACKUP_ARCHIVE_UNSAFE, before anything changes).
 */
function readStaged(file: string, staging: string, manifest: BackupManifest) {
  const record = readStateFile(join(staging, "app/app.json"), AppRecordSchema, { backup: file }, (r) => (r.name === manifest.app ? undefined : `it names app "${r.name}", the manifest "${manifest.app}"`));
  const secretsFile = join(staging, "app/secrets.json");
  const secrets = existsSync(secretsFile) ? readStateFile(secretsFile, SecretsFileSchema, { backup: file }) : undefined;
  try {
    for (const key of [...Object.keys(record.userEnv), ...(secrets?.generated.map((value) => value.name) ?? [])]) checkEnvKey(key);
    if (record.domains.length > MAX_DOMAINS) throw new Error(`${record.domains.length} domains, more than ${MAX_DOMAINS}`);
    for (const host of record.domains) checkDomain(record.name, host);
  } catch (error) {
    throw coreError("BACKUP_ARCHIVE_UNSAFE", `The backup archive ${file} holds app values Hop3 would not set: ${(error as Error).message} Nothing was changed.`, { cause: error, details: { file } });
  }
  return { record, secrets };
}

interface AddonTarget {
  readonly addon: Addon;
  readonly instance: string;
  /** The dump's entry in the archive. */
  readonly path: string;
  /** Whether the restore makes the instance (else it replaces an existing one's data). */
  readonly create: boolean;
}

/**
 * Where each dump goes. As the same app: into the instance of the same name, made again if it is
 * gone. As another app: a new instance, which must not exist (two apps never share an instance by
 * restore): `<app>-<name>` for one named after the original app (hop3.toml `[[addons]]` makes
 * those, and the new app's deploy then finds its own), else `<app>-<kind>` (`-2`, `-3`... for more
 * of one kind).
 */
function planAddons(distribution: CoreDistribution, manifest: BackupManifest, app: string): AddonTarget[] {
  const seen = new Map<string, number>();
  return manifest.addons.map((dump) => {
    const addon = addonOfKind(distribution, dump.kind);
    if (!addon) throw addonUnavailable(`The backup holds a dump of ${dump.instance}, a ${dump.kind} addon, and this distribution has no ${dump.kind} addon.`, dump.kind);
    if (app === manifest.app) return { addon, instance: dump.instance, path: dump.path, create: readAddonRecord(distribution.home, dump.instance) === undefined };
    const count = (seen.get(dump.kind) ?? 0) + 1;
    seen.set(dump.kind, count);
    const declared = dump.instance.startsWith(`${manifest.app}-`) ? `${app}${dump.instance.slice(manifest.app.length)}` : undefined;
    const instance = declared ?? (count === 1 ? `${app}-${dump.kind}` : `${app}-${dump.kind}-${count}`);
    if (!isValidAppName(instance)) throw addonUnavailable(`The instance for ${dump.instance} would be named ${instance}, which is not a valid name: restore to a shorter app name.`, dump.kind);
    if (readAddonRecord(distribution.home, instance)) throw addonUnavailable(`The restore would make ${instance} for ${dump.instance}, and an instance of that name exists.`, dump.kind);
    return { addon, instance, path: dump.path, create: true };
  });
}

/**
 * The app's record, secrets and source, under its lock. The source goes where a remote deploy puts
 * one (`<app>/source`, the app user's). Over an existing app (`force`), its live release stays
 * recorded (the deploy that follows supersedes it); as another app, the domains are not taken
 * along (they are the original app's).
 */
function putAppInPlace(distribution: CoreDistribution, app: string, staging: string, staged: ReturnType<typeof readStaged>, existing: boolean): void {
  const { home, env } = distribution;
  prepareHome({ home, env });
  const unlock = lockApp(home, app, "backup restore", { create: true });
  try {
    const { appUser } = distribution.appContext(app);
    const { appDir, sourceDir } = appDirsOf(home, app);
    const incoming = join(appDir, `source.restore-${process.pid}`);
    rmSync(incoming, { recursive: true, force: true });
    const stagedSource = join(staging, "source");
    if (existsSync(stagedSource)) moveTree(stagedSource, incoming);
    else mkdirSync(incoming);
    openTree(incoming, appUser.dedicated ? appUser : undefined);
    replaceAppSource(home, app, incoming);
    const current = existing ? requireAppRecordOrNone(home, app) : undefined;
    // The addons' variables are those of the instances restored below (attach gives them anew).
    const { liveRelease: _live, addonEnv: _addonEnv, ...fromBackup } = withoutUpdatedAt(staged.record);
    writeAppRecord(home, {
      ...fromBackup,
      name: app,
      source: sourceDir,
      domains: app === staged.record.name ? staged.record.domains : [],
      ...(current?.liveRelease && { liveRelease: current.liveRelease }),
    });
    if (staged.secrets) writeJsonAtomic(secretsPath(home, app), staged.secrets);
  } finally {
    unlock();
  }
}

/** Restores one dump; an instance it creates is added to `made` at once, for undoNewApp. */
async function restoreAddon(distribution: CoreDistribution, target: AddonTarget, app: string, dump: string, made: AddonTarget[], operation: { logger: Logger; signal: AbortSignal }) {
  const { addon, instance } = target;
  const context = distribution.operationContext(operation);
  const guarded = <T>(method: string, action: () => Promise<T>) => guardPlugin(`${addon.name} addon`, method, action);
  await guarded("ensureRunning", () => addon.ensureRunning(context));
  const record = readAddonRecord(distribution.home, instance);
  if (target.create && !record) {
    await guarded("create", () => addon.create(instance, context));
    made.push(target);
  }
  await guarded("restore", () => addon.restore(instance, dump, context));
  const env = await guarded("attach", () => addon.attach(instance, app, context));
  writeAddonRecord(distribution.home, {
    name: instance,
    kind: addon.name,
    createdAt: record?.createdAt ?? context.clock.now().toISOString(),
    attachedTo: [...new Set([...(record?.attachedTo ?? []), app])],
  });
  const appRecord = requireAppRecord(distribution.home, app);
  writeAppRecord(distribution.home, { ...withoutUpdatedAt(appRecord), addonEnv: { ...appRecord.addonEnv, [instance]: env } });
  return { instance, kind: addon.name, created: target.create };
}

/** A restore into a new app that failed part way: the app and the instances it made go, as a failed first deploy leaves nothing. */
async function undoNewApp(distribution: CoreDistribution, steps: Steps, app: string, made: readonly AddonTarget[]): Promise<void> {
  for (const target of made) {
    await target.addon.destroy(target.instance, distribution.operationContext()).catch((error: unknown) => steps.note(`${target.instance} could not be removed: ${(error as Error).message}`));
    rmSync(join(distribution.home, "addons", `${target.instance}.json`), { force: true });
  }
  if (existsSync(appStateDir(distribution.home, app))) {
    await destroyApp(distribution, app).catch((error: unknown) => steps.note(`${app} could not be removed: ${(error as Error).message}`));
  }
}

function requireAppRecordOrNone(home: string, app: string): AppRecord | undefined {
  try {
    return requireAppRecord(home, app);
  } catch {
    return undefined;
  }
}

/** The restored tree as a deployed source is: directories 0755, files their archived mode, the app user's. */
function openTree(path: string, owner: { readonly uid: number; readonly gid: number } | undefined): void {
  const stat = lstatSync(path);
  if (stat.isDirectory()) {
    chmodSync(path, 0o755);
    for (const entry of readdirSync(path)) openTree(join(path, entry), owner);
  }
  if (owner) lchownSync(path, owner.uid, owner.gid);
}

/** A rename, or a copy when the backups directory is on another file system than the apps. */
function moveTree(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
    cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  }
}

const secretsPath = (home: string, app: string) => join(appStateDir(home, app), "secrets.json");
const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
const addonUnavailable = (message: string, kind: string) => coreError("BACKUP_ADDON_UNAVAILABLE", message, { details: { kind } });

function isDirectoryNoFollow(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The regular files of a source tree, `/`-separated, with their modes; `.git` left out, as an upload leaves it. */
function sourceFiles(root: string): { files: { path: string; mode: number }[]; skipped: string[] } {
  const files: { path: string; mode: number }[] = [];
  const skipped: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      if (rel === "" && name === ".git") continue;
      const path = rel === "" ? name : `${rel}/${name}`;
      const stat = lstatSync(join(root, path));
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile() && isSafeEntryPath(`source/${path}`)) files.push({ path, mode: stat.mode & 0o755 });
      else skipped.push(path);
    }
  };
  walk("");
  return { files, skipped };
}
