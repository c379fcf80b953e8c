import type { DeploymentStatus, WorkerLog } from "../contracts/deployer.js";
import type { AddonRecord } from "./addon-records.js";
import { addonInfo, attachAddon, createAddon, destroyAddon, detachAddon, listAddons, type AddonInfo, type AttachOutcome, type DestroyAddonOptions } from "./addons.js";
import { requireAppRecord } from "./app-record.js";
import { createBackup, listBackups, restoreBackup, type BackupOutcome, type BackupSummary, type RestoreOptions, type RestoreOutcome } from "./backups.js";
import { destroyApp, listApps, type AppSummary, type DestroyOptions } from "./apps.js";
import { appEnv, changeEnv } from "./config.js";
import { deployContext } from "./context.js";
import type { CoreDistribution } from "./core-distribution.js";
import { deployApp, type DeployOutcome, type DeployRequest } from "./deploy.js";
import { appDomains, changeDomains, type DomainsOutcome } from "./domains.js";
import { releaseDeployer } from "./deployer-choice.js";
import { actOnApp, appStatus, scaleApp, type AppStatus } from "./lifecycle.js";
import { signalOf, type PipelineOptions } from "./options.js";
import { currentRelease, listReleases, type Release } from "./releases.js";
import { rollbackApp, type RollbackOptions, type RollbackOutcome } from "./rollback.js";
import { oneOffCommand, type OneOffCommand } from "./run.js";

/**
 * The whole life of an app, as a distribution offers it: every method takes the app's name (or
 * directory, to deploy), reports progress to `options.onStep`, and returns a typed outcome or
 * throws a coded Hop3Error. Operations that change an app hold its lock (APP_BUSY while another
 * one runs, in any process).
 */
export interface AppPipeline {
  /** plan -> build -> release -> deploy (health gate, switch) -> confirmed through the router -> live -> prune. */
  deploy(request: DeployRequest, options?: PipelineOptions): Promise<DeployOutcome>;
  /** Starts a kept release again (the one before the live one, or `options.release`), through the same health check. */
  rollback(app: string, options?: RollbackOptions): Promise<RollbackOutcome>;
  /** Starts the live release again (and routes it). */
  start(app: string, options?: PipelineOptions): Promise<DeploymentStatus>;
  /** Stops the app's processes and routes; its state and releases are kept. */
  stop(app: string, options?: PipelineOptions): Promise<DeploymentStatus>;
  /** New processes for the live release, applying changed values. */
  restart(app: string, options?: PipelineOptions): Promise<DeploymentStatus>;
  /** N instances of the workers named (worker name to count); kept for the next deploys. */
  scale(app: string, scale: Readonly<Record<string, number>>, options?: PipelineOptions): Promise<DeploymentStatus>;
  /** What runs of the app, and its release. Read-only. */
  status(app: string, options?: PipelineOptions): Promise<AppStatus>;
  /** Removes the app entirely: processes, routes, releases, what builders kept, its directory and user. */
  destroy(app: string, options?: DestroyOptions): Promise<void>;
  /** Every app, by name. */
  apps(): AppSummary[];
  /** The app's kept releases, newest first. */
  releases(app: string): Release[];
  /** The values set for the app, unmasked. */
  appEnv(app: string): Readonly<Record<string, string>>;
  /** Sets values of the app (applied at its next start or restart); returns all of them. */
  setEnv(app: string, values: Readonly<Record<string, string>>): Readonly<Record<string, string>>;
  /** Removes values of the app; returns those left. */
  unsetEnv(app: string, keys: readonly string[]): Readonly<Record<string, string>>;
  /** The host names the app answers to besides `<app>.localhost`. */
  domains(app: string): readonly string[];
  addDomains(app: string, hosts: readonly string[], options?: PipelineOptions): Promise<DomainsOutcome>;
  removeDomains(app: string, hosts: readonly string[], options?: PipelineOptions): Promise<DomainsOutcome>;
  /** The log files of the app's worker instances (of its live release, else its last). */
  logFiles(app: string, options?: PipelineOptions): Promise<readonly WorkerLog[]>;
  /** Writes one archive of the live app and its addons' data under `<HOP3_HOME>/backups/`. */
  backup(app: string, options?: PipelineOptions): Promise<BackupOutcome>;
  /** The backup archives, oldest first; of one app when named. Read-only. */
  backups(app?: string): Promise<BackupSummary[]>;
  /** Verifies a whole archive, then restores the app (or a new one, `to`) and its addons' data and deploys it. */
  restoreBackup(id: string, options?: RestoreOptions): Promise<RestoreOutcome>;
  /** A one-off command in the live release's environment, as the app's user, ready to spawn (see oneOffCommand). Starts nothing. */
  oneOffCommand(app: string, command: readonly string[]): OneOffCommand;
  /** Makes an addon instance of a registered kind ("postgres"), its server started first. */
  createAddon(kind: string, name: string, options?: PipelineOptions): Promise<AddonRecord>;
  /** Gives the app the instance's variables: at once when it runs (graceful restart), else at its next start. */
  attachAddon(name: string, app: string, options?: PipelineOptions): Promise<AttachOutcome>;
  /** Takes the app's access and variables away (restarting it when it runs); the data stays. */
  detachAddon(name: string, app: string, options?: PipelineOptions): Promise<AttachOutcome>;
  /** Drops the instance and its data (ADDON_IN_USE when attached to a running app, unless its name is typed again). */
  destroyAddon(name: string, options?: DestroyAddonOptions): Promise<void>;
  /** Every addon instance, by name. */
  addons(): AddonRecord[];
  /** The instance, its server's status and the variables it gives (secrets masked unless asked). */
  addonInfo(name: string, options?: PipelineOptions & { readonly showSecrets?: boolean }): Promise<AddonInfo>;
}

/** The pipeline over a composed distribution. */
export function appPipeline(distribution: CoreDistribution): AppPipeline {
  return {
    deploy: (request, options) => deployApp(distribution, request, options),
    rollback: (app, options) => rollbackApp(distribution, app, options),
    start: (app, options) => actOnApp(distribution, app, "start", options),
    stop: (app, options) => actOnApp(distribution, app, "stop", options),
    restart: (app, options) => actOnApp(distribution, app, "restart", options),
    scale: (app, scale, options) => scaleApp(distribution, app, scale, options),
    status: (app, options) => appStatus(distribution, app, options),
    destroy: (app, options) => destroyApp(distribution, app, options),
    apps: () => listApps(distribution),
    releases(app) {
      requireAppRecord(distribution.home, app);
      return listReleases(distribution.home, app).reverse();
    },
    appEnv: (app) => appEnv(distribution, app),
    setEnv: (app, values) => changeEnv(distribution, app, values, "config set"),
    unsetEnv: (app, keys) => changeEnv(distribution, app, Object.fromEntries(keys.map((key) => [key, undefined])), "config unset"),
    domains: (app) => appDomains(distribution, app),
    oneOffCommand: (app, command) => oneOffCommand(distribution, app, command),
    addDomains: (app, hosts, options) => changeDomains(distribution, app, "add", hosts, options),
    removeDomains: (app, hosts, options) => changeDomains(distribution, app, "remove", hosts, options),
    backup: (app, options) => createBackup(distribution, app, options),
    backups: (app) => listBackups(distribution.home, app),
    restoreBackup: (id, options) => restoreBackup(distribution, id, options),
    createAddon: (kind, name, options) => createAddon(distribution, kind, name, options),
    attachAddon: (name, app, options) => attachAddon(distribution, name, app, options),
    detachAddon: (name, app, options) => detachAddon(distribution, name, app, options),
    destroyAddon: (name, options) => destroyAddon(distribution, name, options),
    addons: () => listAddons(distribution),
    addonInfo: (name, options) => addonInfo(distribution, name, options),
    async logFiles(app, options = {}) {
      const record = requireAppRecord(distribution.home, app);
      const release = currentRelease(distribution.home, app, record.liveRelease);
      if (!release) return [];
      return (await releaseDeployer(distribution, release).logFiles?.(app, deployContext(distribution, record, { signal: signalOf(options) }))) ?? [];
    },
  };
}
