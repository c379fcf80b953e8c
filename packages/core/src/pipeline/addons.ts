import { join } from "node:path";
import type { Addon, AddonStatus } from "../contracts/addon.js";
import type { OperationContext } from "../contracts/common.js";
import type { AddonEnvSource, DeclaredAddon } from "../env-references.js";
import { coreError } from "../error-codes.js";
import { withLockFile } from "../host/lock-file.js";
import type { Hop3Toml } from "../schemas/hop3-toml.js";
import { readAppRecord, requireAppRecord, withoutUpdatedAt, writeAppRecord, type AppRecord } from "./app-record.js";
import {
  addonsDir,
  isValidAddonName,
  readAddonRecord,
  readAddonRecords,
  removeAddonRecord,
  requireAddonRecord,
  writeAddonRecord,
  type AddonRecord,
} from "./addon-records.js";
import { deployContext } from "./context.js";
import type { CoreDistribution } from "./core-distribution.js";
import { createSteps, type Steps } from "./events.js";
import { liveDeployer } from "./lifecycle.js";
import { lockApp } from "./lock.js";
import { signalOf, type PipelineOptions } from "./options.js";

/** An instance as `Distribution.addonInfo` tells it: its record, what its server says, the variables it gives. */
export interface AddonInfo extends AddonRecord {
  readonly status: AddonStatus;
  /**
   * What an attached app gets, by variable; passwords (and URLs holding them) masked unless
   * `showSecrets` was asked. Empty when it is attached to no app.
   */
  readonly env: Readonly<Record<string, string>>;
}

/** What attach and detach did. */
export interface AttachOutcome {
  readonly addon: string;
  readonly app: string;
  /** The variables the app gets (attach) or lost (detach), names only. */
  readonly variables: readonly string[];
  /** Whether the app was running and was restarted to apply them; else they apply at its next start. */
  readonly restarted: boolean;
}

export interface DestroyAddonOptions extends PipelineOptions {
  /**
   * The instance's name typed again: needed when it is attached to a running app (ADDON_IN_USE
   * without it). Called `--confirm NAME` on the command line.
   */
  readonly confirmName?: string;
}

/** The registered addon of a kind (its name or one of its aliases), or ADDON_KIND_UNKNOWN listing the kinds. */
export function addonOfKind(distribution: Pick<CoreDistribution, "registry">, kind: string, where = ""): Addon {
  const addons = distribution.registry.addons();
  const found = addons.find((addon) => addon.name === kind || addon.aliases?.includes(kind));
  if (found) return found;
  const kinds = addons.map((addon) => addon.name);
  throw coreError("ADDON_KIND_UNKNOWN", `${where}No addon plugin provides kind ${JSON.stringify(kind)}. Registered kinds: ${kinds.join(", ") || "none"}.`, {
    hint: kinds.length > 0 ? `Use one of: ${kinds.join(", ")}; or install the plugin that provides ${JSON.stringify(kind)}.` : undefined,
    details: { kind, kinds },
  });
}

function checkAddonName(name: string): void {
  if (!isValidAddonName(name)) throw coreError("ADDON_NAME_INVALID", `${JSON.stringify(name)} is not a valid addon name.`, { details: { name } });
}

/** One lock for every change to the records, taken after the app's lock (never before). */
function withAddonsLock<T>(home: string, purpose: string, action: () => Promise<T>, signal: AbortSignal): Promise<T> {
  return withLockFile(join(addonsDir(home), ".lock"), action, {
    purpose,
    signal,
    busy: (holder) =>
      coreError("ADDON_BUSY", `The addons are being changed by \`hop3 ${holder?.purpose ?? "?"}\`${holder ? ` (pid ${holder.pid})` : ""}.`, {
        details: { ...(holder && { pid: holder.pid, command: holder.purpose }) },
      }),
  });
}

const contextOf = (distribution: CoreDistribution, steps: Steps, signal: AbortSignal) => distribution.operationContext({ signal, logger: noteLogger(steps) });

/** Plugin output outside a step (ensureRunning's notes) goes to the caller as notes. */
const noteLogger = (steps: Steps) => ({
  info: (text: string) => steps.note(text),
  warn: (text: string) => steps.note(`warning: ${text}`),
  debug: () => {},
  output: () => {},
});

/** Makes an instance of `kind` named `name`, its server started first. */
export async function createAddon(distribution: CoreDistribution, kind: string, name: string, options: PipelineOptions = {}): Promise<AddonRecord> {
  const addon = addonOfKind(distribution, kind);
  checkAddonName(name);
  const signal = signalOf(options);
  const steps = createSteps(options.onStep);
  return withAddonsLock(distribution.home, "addons create", () => createLocked(distribution, steps, signal, addon, name), signal);
}

async function createLocked(distribution: CoreDistribution, steps: Steps, signal: AbortSignal, addon: Addon, name: string): Promise<AddonRecord> {
  const existing = readAddonRecord(distribution.home, name);
  if (existing) throw coreError("ADDON_EXISTS", `There is already an addon named "${name}" (${existing.kind}).`, { details: { addon: name, kind: existing.kind } });
  const context = contextOf(distribution, steps, signal);
  await steps.run(`start ${addon.name}`, (logger) => addon.ensureRunning({ ...context, logger }));
  await steps.run(`create ${name}`, (logger) => addon.create(name, { ...context, logger }));
  return writeAddonRecord(distribution.home, { name, kind: addon.name, createdAt: context.clock.now().toISOString(), attachedTo: [] });
}

/**
 * Lets `app` use the instance: the addon grants it and gives its variables, kept in the app's
 * record; a running app is restarted (its deployer's graceful restart) to get them, else they
 * apply at its next start.
 */
export async function attachAddon(distribution: CoreDistribution, name: string, app: string, options: PipelineOptions = {}): Promise<AttachOutcome> {
  const signal = signalOf(options);
  const steps = createSteps(options.onStep);
  requireAddonRecord(distribution.home, name);
  const unlock = lockApp(distribution.home, app, "addons attach");
  try {
    const record = requireAppRecord(distribution.home, app);
    const env = await withAddonsLock(distribution.home, "addons attach", () => attachLocked(distribution, steps, signal, name, app), signal);
    const next = writeAppRecord(distribution.home, { ...withoutUpdatedAt(record), addonEnv: { ...record.addonEnv, [name]: env } });
    return { addon: name, app, variables: Object.keys(env).sort(), restarted: await restartIfRunning(distribution, steps, signal, next) };
  } finally {
    unlock();
  }
}

async function attachLocked(distribution: CoreDistribution, steps: Steps, signal: AbortSignal, name: string, app: string): Promise<Readonly<Record<string, string>>> {
  const instance = requireAddonRecord(distribution.home, name);
  const addon = addonOfKind(distribution, instance.kind);
  const context = contextOf(distribution, steps, signal);
  await steps.run(`start ${addon.name}`, (logger) => addon.ensureRunning({ ...context, logger }));
  const env = await steps.run(`attach ${name} to ${app}`, (logger) => addon.attach(name, app, { ...context, logger }));
  writeAddonRecord(distribution.home, { ...instance, attachedTo: [...instance.attachedTo, app] });
  return env;
}

/** Takes the app's access away and its variables out of its record; a running app is restarted without them. */
export async function detachAddon(distribution: CoreDistribution, name: string, app: string, options: PipelineOptions = {}): Promise<AttachOutcome> {
  const signal = signalOf(options);
  const steps = createSteps(options.onStep);
  const instance = requireAddonRecord(distribution.home, name);
  if (!instance.attachedTo.includes(app)) {
    throw coreError("ADDON_NOT_ATTACHED", `Addon "${name}" is not attached to app "${app}".`, { details: { addon: name, app, attachedTo: instance.attachedTo } });
  }
  const unlock = lockApp(distribution.home, app, "addons detach");
  try {
    await withAddonsLock(distribution.home, "addons detach", () => detachLocked(distribution, steps, signal, name, app), signal);
    const record = readAppRecord(distribution.home, app);
    if (!record) return { addon: name, app, variables: [], restarted: false };
    const { [name]: removed, ...kept } = record.addonEnv ?? {};
    const next = writeAppRecord(distribution.home, { ...withoutUpdatedAt(record), addonEnv: kept });
    return { addon: name, app, variables: Object.keys(removed ?? {}).sort(), restarted: await restartIfRunning(distribution, steps, signal, next) };
  } finally {
    unlock();
  }
}

async function detachLocked(distribution: CoreDistribution, steps: Steps, signal: AbortSignal, name: string, app: string): Promise<void> {
  const instance = requireAddonRecord(distribution.home, name);
  const addon = addonOfKind(distribution, instance.kind);
  const context = contextOf(distribution, steps, signal);
  await steps.run(`start ${addon.name}`, (logger) => addon.ensureRunning({ ...context, logger }));
  await steps.run(`detach ${name} from ${app}`, (logger) => addon.detach(name, app, { ...context, logger }));
  writeAddonRecord(distribution.home, { ...instance, attachedTo: instance.attachedTo.filter((other) => other !== app) });
}

/**
 * Every instance attached to a destroyed app lets it go (its data stays): called by
 * `Distribution.destroy`, under the app's lock.
 */
export async function detachAppEverywhere(distribution: CoreDistribution, steps: Steps, signal: AbortSignal, app: string): Promise<void> {
  const attached = readAddonRecords(distribution.home).filter((instance) => instance.attachedTo.includes(app));
  if (attached.length === 0) return;
  await withAddonsLock(
    distribution.home,
    "destroy",
    async () => {
      for (const instance of attached) {
        await detachLocked(distribution, steps, signal, instance.name, app).catch((error: unknown) => {
          // The app goes anyway: its record must not keep a grant nobody can use (its user is gone).
          steps.note(`Addon ${instance.name}: ${(error as Error).message} It is detached from ${app} in Hop3's record.`);
          const current = readAddonRecord(distribution.home, instance.name);
          if (current) writeAddonRecord(distribution.home, { ...current, attachedTo: current.attachedTo.filter((other) => other !== app) });
        });
      }
    },
    signal,
  );
}

/**
 * Drops the instance and its data. Attached apps lose its variables (each is detached first);
 * when one of them runs, `confirmName` must be the instance's name (ADDON_IN_USE).
 */
export async function destroyAddon(distribution: CoreDistribution, name: string, options: DestroyAddonOptions = {}): Promise<void> {
  const signal = signalOf(options);
  const steps = createSteps(options.onStep);
  const instance = requireAddonRecord(distribution.home, name);
  const running = await runningApps(distribution, instance.attachedTo, signal);
  if (running.length > 0 && options.confirmName !== name) {
    throw coreError("ADDON_IN_USE", `Addon "${name}" is attached to running app(s) ${running.join(", ")}: destroying it drops their data.`, {
      details: { addon: name, running },
    });
  }
  for (const app of instance.attachedTo) await detachAddon(distribution, name, app, options);
  await withAddonsLock(
    distribution.home,
    "addons destroy",
    async () => {
      const addon = addonOfKind(distribution, instance.kind);
      const context = contextOf(distribution, steps, signal);
      await steps.run(`start ${addon.name}`, (logger) => addon.ensureRunning({ ...context, logger }));
      await steps.run(`destroy ${name}`, (logger) => addon.destroy(name, { ...context, logger }));
      removeAddonRecord(distribution.home, name);
    },
    signal,
  );
}

/** Every instance, by name. */
export function listAddons(distribution: CoreDistribution): AddonRecord[] {
  return readAddonRecords(distribution.home);
}

/** The instance's record, what its server says of it, and what an attached app gets (masked unless `showSecrets`). */
export async function addonInfo(distribution: CoreDistribution, name: string, options: PipelineOptions & { readonly showSecrets?: boolean } = {}): Promise<AddonInfo> {
  const instance = requireAddonRecord(distribution.home, name);
  const addon = addonOfKind(distribution, instance.kind);
  const status = await addon.status(name, distribution.operationContext({ signal: signalOf(options) }));
  const app = instance.attachedTo[0];
  const env = (app !== undefined && readAppRecord(distribution.home, app)?.addonEnv?.[name]) || {};
  return { ...instance, status, env: options.showSecrets ? env : maskSecrets(env) };
}

/** Passwords, and the password part of URLs, replaced by `****`. */
export function maskSecrets(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => {
      if (/PASSWORD|SECRET|TOKEN/i.test(key)) return [key, "****"];
      return [key, value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@]*@/i, "$1****@")];
    }),
  );
}

async function runningApps(distribution: CoreDistribution, apps: readonly string[], signal: AbortSignal): Promise<string[]> {
  const running: string[] = [];
  for (const app of apps) {
    const record = readAppRecord(distribution.home, app);
    if (record && (await isRunning(distribution, record, signal))) running.push(app);
  }
  return running;
}

async function isRunning(distribution: CoreDistribution, record: AppRecord, signal: AbortSignal): Promise<boolean> {
  if (!record.liveRelease) return false;
  const deployer = liveDeployer(distribution, record);
  const status = await deployer.status(record.name, deployContext(distribution, record, { signal }));
  return status.state === "running" || status.state === "partial";
}

/** A running app gets new values through its deployer's restart (graceful: the router keeps its route). */
async function restartIfRunning(distribution: CoreDistribution, steps: Steps, signal: AbortSignal, record: AppRecord): Promise<boolean> {
  if (!(await isRunning(distribution, record, signal))) return false;
  const deployer = liveDeployer(distribution, record);
  await steps.run(`restart ${record.name}`, (logger) => deployer.restart(record.name, deployContext(distribution, record, { signal, logger })));
  return true;
}

/** An instance a hop3.toml declares: the kind, its name there (what `[env]` references use) and the instance it is on this server. */
export interface DeclaredInstance {
  readonly declared: string;
  readonly kind: string;
  readonly instance: string;
}

/**
 * The instances an app's hop3.toml declares, in both dialects: `[[addons]] type = "postgres"`
 * (with an optional `name`) and the catalogue's `[[provider]] name = "postgres"` (the name is
 * the kind). On the server each is `<app>-<name>`: a hop3.toml can only ever name its own app's
 * instances, never another app's. Unknown kinds and names that cannot be instances are refused.
 */
export function declaredInstances(distribution: Pick<CoreDistribution, "registry">, app: string, toml: Hop3Toml): DeclaredInstance[] {
  const entries = [...(toml.addons ?? []).map((entry) => ({ entry, section: "[[addons]]" })), ...(toml.provider ?? []).map((entry) => ({ entry, section: "[[provider]]" }))];
  return entries.map(({ entry, section }) => {
    const kindName = (entry.type ?? entry.name)!;
    const addon = addonOfKind(distribution, kindName, `hop3.toml ${section}: `);
    const declared = entry.name ?? entry.type!;
    const instance = `${app}-${declared}`;
    if (!isValidAddonName(instance)) {
      throw coreError("ADDON_NAME_INVALID", `hop3.toml ${section} ${JSON.stringify(declared)} would be addon "${instance}", which is not a valid addon name.`, {
        details: { name: instance, declared },
      });
    }
    return { declared, kind: addon.name, instance };
  });
}

/** What a deploy's provisioning did: each instance's variables, and what it made, to undo when the deploy fails. */
export interface Provisioned {
  readonly app: string;
  readonly env: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Instances made by this deploy (hop3.toml's, missing before). */
  readonly created: readonly string[];
  /** Instances that existed and that this deploy attached the app to. */
  readonly attached: readonly string[];
}

/**
 * On deploy: the instances hop3.toml declares are made when missing and attached to the app when
 * not yet; then every instance attached to the app (those too attached by hand) gives its
 * variables, kept with the app's record by the deploy.
 */
export async function provisionAddons(distribution: CoreDistribution, steps: Steps, signal: AbortSignal, app: string, declared: readonly DeclaredInstance[]): Promise<Provisioned> {
  const attached = readAddonRecords(distribution.home).filter((instance) => instance.attachedTo.includes(app));
  const created: string[] = [];
  const newlyAttached: string[] = [];
  const env: Record<string, Readonly<Record<string, string>>> = {};
  if (declared.length === 0 && attached.length === 0) return { app, env, created, attached: newlyAttached };
  await withAddonsLock(
    distribution.home,
    "deploy",
    async () => {
      for (const { instance, kind } of declared) {
        const existing = readAddonRecord(distribution.home, instance);
        if (existing && existing.kind !== kind) {
          throw coreError("ADDON_KIND_MISMATCH", `hop3.toml declares addon "${instance}" as ${kind}, but it exists as ${existing.kind}.`, { details: { addon: instance, kind, existing: existing.kind } });
        }
        if (!existing) {
          await createLocked(distribution, steps, signal, addonOfKind(distribution, kind), instance);
          created.push(instance);
        }
      }
      const names = [...new Set([...attached.map((instance) => instance.name), ...declared.map((d) => d.instance)])].sort();
      for (const name of names) {
        const before = requireAddonRecord(distribution.home, name).attachedTo.includes(app);
        env[name] = await attachLocked(distribution, steps, signal, name, app);
        if (!before && !created.includes(name)) newlyAttached.push(name);
      }
    },
    signal,
  ).catch(async (error: unknown) => {
    await undoProvisioning(distribution, steps, { app, env, created, attached: newlyAttached });
    throw error;
  });
  return { app, env, created, attached: newlyAttached };
}

/**
 * A deploy that failed leaves no half-made addon: the instances it made are destroyed (they hold
 * nothing from before), the attachments it made to instances that existed are undone (their data
 * stays), and the app's record forgets their variables. Failures are notes: the deploy's own error
 * is what the user gets.
 */
export async function undoProvisioning(distribution: CoreDistribution, steps: Steps, provisioned: Provisioned): Promise<void> {
  const { app, created, attached } = provisioned;
  if (created.length === 0 && attached.length === 0) return;
  // Not the deploy's signal: a cancelled deploy is undone too.
  const signal = new AbortController().signal;
  const locked = withAddonsLock(
    distribution.home,
    "deploy (undo)",
    async () => {
      for (const name of attached) await noteFailure(steps, name, () => detachLocked(distribution, steps, signal, name, app));
      for (const name of created) {
        await noteFailure(steps, name, async () => {
          const instance = requireAddonRecord(distribution.home, name);
          if (instance.attachedTo.includes(app)) await detachLocked(distribution, steps, signal, name, app);
          const addon = addonOfKind(distribution, instance.kind);
          const context = contextOf(distribution, steps, signal);
          await steps.run(`remove ${name}`, (logger) => addon.destroy(name, { ...context, logger }));
          removeAddonRecord(distribution.home, name);
        });
      }
    },
    signal,
  );
  await locked.catch((error: unknown) => steps.note(`The addons of the failed deploy could not be undone: ${(error as Error).message}`));
  const record = readAppRecordOrNone(distribution.home, app);
  if (record?.addonEnv) {
    const undone = new Set([...created, ...attached]);
    writeAppRecord(distribution.home, { ...withoutUpdatedAt(record), addonEnv: Object.fromEntries(Object.entries(record.addonEnv).filter(([name]) => !undone.has(name))) });
  }
}

async function noteFailure(steps: Steps, name: string, action: () => Promise<void>): Promise<void> {
  await action().catch((error: unknown) => steps.note(`Addon ${name} could not be undone after the failed deploy: ${(error as Error).message}`));
}

/**
 * Core's AddonEnvSource: an `[env]` reference `{ from = "db", key = ... }` reads the variables of
 * the app's instance `<app>-db`, when it exists and the app is attached to it (a deploy makes and
 * attaches it before planning).
 */
export function recordsAddonEnv(distribution: () => CoreDistribution): AddonEnvSource {
  return {
    async envOf(app: string, declared: DeclaredAddon) {
      const home = distribution().home;
      const name = `${app}-${declared.name}`;
      const instance = readAddonRecord(home, name);
      if (!instance?.attachedTo.includes(app)) return undefined;
      const kept = readAppRecordOrNone(home, app)?.addonEnv?.[name];
      if (kept) return kept;
      const addon = addonOfKind(distribution(), instance.kind);
      return addon.attach(name, app, distribution().operationContext() as OperationContext);
    },
  };
}

function readAppRecordOrNone(home: string, app: string): AppRecord | undefined {
  try {
    return readAppRecord(home, app);
  } catch {
    return undefined;
  }
}
