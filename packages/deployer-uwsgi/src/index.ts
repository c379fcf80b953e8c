export { createUwsgiDeployer, createUwsgiDeployer as default, DEPLOYER_NAME } from "./deployer.js";
export { uwsgiDeployerPlugin } from "./plugin.js";
export { resolveUwsgiOptions, DEFAULT_INHERITED_ENV, type UwsgiDeployerOptions, type ResolvedUwsgiOptions } from "./options.js";
export { uwsgiErrorCatalog, type UwsgiErrorCode } from "./errors.js";
export { ensureEmperor, stopEmperor, emperorStatus, pokeEmperor, type EmperorSettings, type EmperorContext, type EmperorStats, type VassalStats } from "./emperor.js";
export { emperorLayout, appLayout, instancePaths, vassalFileName, parseVassalFileName, MAINTENANCE_VASSAL, type EmperorLayout, type AppLayout, type InstancePaths, type Isolation } from "./layout.js";
export { mergeWorkerEnv, resolvePathPrepend, ASSIGNED_NAMES, type WorkerEnvLayers, type MergedWorkerEnv } from "./worker-env.js";
export { renderLauncher, renderContainerLauncher, renderEnvFile, type LauncherSpec, type ContainerLauncherSpec } from "./launcher.js";
export { renderVassal, type VassalSpec } from "./vassal.js";
export { renderMaintenanceScript, renderMaintenanceVassal, maintainLogs } from "./maintenance.js";
export { planInstances, refusedWorkers, MAX_INSTANCES, type InstancePlan, type PlannedInstance } from "./plan.js";
export { NATIVE_WORKERS, UWSGI_PLUGIN_DIR, UWSGI_PLUGINS, pluginsOf, SETUP_ID, type NativeWorker, type UwsgiPluginName } from "./wsgi.js";
export { iniPath, isIniSafePath } from "./ini.js";
export { SERVICE_NAME } from "./services.js";
/** What run-time plugin loading (HOP3_PLUGINS, package.json hop3.plugins) imports. */
export { uwsgiDeployerPlugin as hop3Plugin } from "./plugin.js";
