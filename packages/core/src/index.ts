// The main entry: everything of the light `@hop3/core/cli` entry, and what needs zod, TypeBox,
// tsyringe or smol-toml (schemas, formats, the registry, the pipeline).
export * from "./cli.js";
// Plugins validate their options with core's zod: one copy, loaded once, bundled (src/vendor/).
export { z } from "./vendor/zod.js";
export { createMemoryLogger, type MemoryLogger, type OutputLine } from "./logger.js";
export type { AppPipeline } from "./pipeline/api.js";
export type { PipelineOptions } from "./pipeline/options.js";
export type { DeployRequest, DeployOutcome } from "./pipeline/deploy.js";
export type { RollbackOptions, RollbackOutcome } from "./pipeline/rollback.js";
export type { AppStatus } from "./pipeline/lifecycle.js";
export type { OneOffCommand } from "./pipeline/run.js";
export type { AppSummary, DestroyOptions } from "./pipeline/apps.js";
export type { DomainsOutcome } from "./pipeline/domains.js";
export { backupFile, backupsDir, type BackupOutcome, type BackupSummary, type RestoreOptions, type RestoreOutcome } from "./pipeline/backups.js";
export { AppRecordSchema, readAppRecord, writeAppRecord, type AppRecord, type AppRecordDraft, type ListedApp } from "./pipeline/app-record.js";
export { listReleases, writeRelease, keepReleasesSetting, DEFAULT_KEEP_RELEASES, type Release } from "./pipeline/releases.js";
export { releaseHealth, waitUntilServing, DEFAULT_START_TIMEOUT_SECONDS, type HealthResult, type HealthSettings, type HealthTarget, type ReleaseHealth } from "./pipeline/health.js";
export { readAddonRecord, readAddonRecords, addonsDir, isValidAddonName, type AddonRecord } from "./pipeline/addon-records.js";
export { maskSecrets, type AddonInfo, type AttachOutcome, type DestroyAddonOptions } from "./pipeline/addons.js";
export type { DeclaredDomains } from "./domain-names.js";
export { volumesDir, volumePath, type VolumeStatus } from "./pipeline/volumes.js";
export { formatLastLines, STOP_GRACE_MS } from "./command.js";
export { isDirectory } from "./fs.js";
export { CRASH_AT_VARIABLE, CRASH_POINTS, testCrashPoint, type CrashPoint } from "./crash-points.js";
export { appStateDir, newReleaseId } from "./home.js";
export {
  findAppUser,
  removeAppUser,
  ensureWebUser,
  ensureServiceUser,
  webUserOf,
  appUserName,
  webUserName,
  userPrefix,
  appDataDir,
  lookupGroup,
  type PasswdEntry,
} from "./host/users.js";
export { runAsUser, privilegeDrop, appProcessEnv, searchablePath, pathSearchableByAll, APP_INHERITED_ENV, APP_UMASK, type RunAsOptions } from "./host/run-as.js";
export { migrateHome, layoutVersion, legacyRootHome, LAYOUT_VERSION, type DirOwnership } from "./host/home-layout.js";
export {
  DEFAULT_LIMITS,
  defaultMaxLimits,
  toLimits,
  resolveLimits,
  type AppLimits,
  type LimitSettings,
  type ResolvedLimits,
} from "./host/limits.js";
export { detectCgroups, prepareCgroup, cgroupPids, removeCgroups, unenforceableLimits, CGROUP_ROOT, type CgroupSupport, type Controller } from "./host/cgroups.js";
export { rotateInPlace, rotateByRename, capLogDirectory, rotatedFiles, type RotationPolicy } from "./host/logs.js";
export { confineStaticDir, readAppFile, isInside } from "./host/confine.js";
export { syncTree, type SyncResult } from "./host/copy-tree.js";
export {
  processUid,
  processesOfUid,
  signalAppProcess,
  killAppProcesses,
  processStat,
  isAlive,
  commandLine,
  livePids,
  childrenOf,
  openFiles,
  readPid,
  type ProcessStat,
} from "./host/processes.js";
export type { LockFileOptions, LockHolder } from "./host/lock-file.js";
export { throwIfCancelled, type WaitOptions, type WaitUntilOptions } from "./host/waiting.js";
export { tlsLayout, certificateFiles, installedCertificate, isLocalHostName, prepareTlsDirs, type TlsLayout, type CertificateFiles } from "./host/tls-store.js";
export { openTcpConnections, tcpSockets, socketInodesOf, type OpenTcpState, type TcpConnection, type TcpSocket, type TcpState } from "./host/tcp-sockets.js";
export { findFreePort, isPortFree, isPortInUse } from "./host/ports.js";
export { readHop3Config, hop3ConfigFile, DEFAULT_LOG_SETTINGS, type Hop3Config, type LogSettings } from "./hop3-config.js";
export { parseOptions } from "./options.js";

export { API_VERSION, SUPPORTED_API_VERSIONS, type OperationContext, type AppOperationContext } from "./contracts/common.js";
export type { AcceptContext, AcceptResult, ArtifactPreview, Builder, BuildContext, DiscardContext, PrebuiltContext } from "./contracts/builder.js";
export type { Detection, LanguageToolchain, RequiredProgram, ToolchainBuildContext, ToolchainContribution } from "./contracts/toolchain.js";
export type { Deployer, DeployContext, DeploymentStatus, HealthGateRequest, ReleasePreview, ServiceStatus, WorkerLog, WorkerStatus } from "./contracts/deployer.js";
export type { Router, RouteSlots, RouteSpec, RouterStatus, Upstream } from "./contracts/router.js";
export type { MaintenanceTask } from "./contracts/maintenance.js";
export type { Addon, AddonDump, AddonStatus } from "./contracts/addon.js";
export { definePlugin, type Hop3Plugin } from "./contracts/plugin.js";
export {
  requirementProblem,
  REQUIREMENT_ID_PATTERN,
  DEBIAN_PACKAGE_PATTERN,
  PROGRAM_NAME_PATTERN,
  type SystemRequirement,
  type RequirementLevel,
} from "./contracts/requirements.js";

export { BuildArtifactSchema, ArtifactRuntimeSchema, HealthcheckSchema, type BuildArtifact, type ArtifactRuntime, type Healthcheck } from "./schemas/artifact.js";
export { RuntimeJsonSchema, type RuntimeJson } from "./schemas/runtime-json.js";
export { Hop3TomlSchema, type Hop3Toml, type EnvValue } from "./schemas/hop3-toml.js";
export { findNotActedOn, type NotActedOn } from "./not-acted-on.js";
export {
  APP_FACTS,
  NO_ADDON_ENV,
  checkEnvReferences,
  declaredAddons,
  generateValue,
  generatorSpec,
  planEnv,
  settleEnv,
  type AddonEnvSource,
  type AppFact,
  type AppFacts,
  type DeclaredAddon,
  type EnvEntry,
  type EnvPlan,
  type EnvReference,
  type GeneratedValue,
  type GeneratorSpec,
  type PlanEnvInput,
} from "./env-references.js";
export { WORKER_NAME_PATTERN, CONTRIBUTION_NAME_PATTERN, isValidWorkerName } from "./schemas/names.js";

export { parseHop3Toml } from "./formats/hop3-toml.js";
export { findVolumeProblem, volumeTargetProblem, type AppVolume, type VolumeProblem } from "./formats/volumes.js";
export { parseProcfile, parseCron, isCronWorker, cronFieldValues, CRON_FIELD_RANGES, procfileEntryKind, HTTP_WORKERS, HOOKS, type Procfile, type ProcfileEntry, type ProcfileEntryKind, type CronJob } from "./formats/procfile.js";
export { parseRuntimeJson, type ParseRuntimeJsonOptions, type ParsedRuntimeJson } from "./formats/runtime-json.js";
export { validateArtifact } from "./formats/artifact.js";
export {
  readBackupArchive,
  readBackupManifest,
  writeBackupArchive,
  isSafeEntryPath,
  BACKUP_FORMAT_VERSION,
  type ArchiveInput,
  type BackupAddonDump,
  type BackupEntry,
  type BackupManifest,
} from "./formats/backup-archive.js";
export { artifactShape, shapeOf, describeShape, ARTIFACT_SHAPES, STATIC_WORKER, type ArtifactShape } from "./formats/artifact-shape.js";
export { loadApp, loadAppConfig, normalizeConfig, findConfigFile, type AppConfig, type AppSource, type LoadAppOptions, type ContainerPortSource } from "./app.js";

export { Hop3Tokens } from "./tokens.js";
export {
  systemClock,
  fileStateStore,
  nodeHttpClient,
  type Clock,
  type StateStore,
  type HttpClient,
  type HttpRequest,
  type HttpAnswer,
  type CoreServices,
  type ServiceOverrides,
} from "./services.js";
export { Registry, inject, injectAll, injectable, singleton, type PluginRegistry, type Contribution, type Constructor } from "./registry.js";
export {
  selectBuilder,
  detectToolchains,
  checkRelease,
  type BuildPlan,
  type BuilderCandidate,
  type ToolchainCandidate,
  type ReleaseChecks,
  type CheckReleaseInput,
} from "./planning.js";
export { createDistribution, type AddedPlugin, type Distribution, type NamedDeployer, type DistributionOptions, type PluginInfo, type PlanOptions, type BuildOptions, type OperationOptions } from "./distribution.js";
export { PUBLISHED_SCHEMAS, renderSchema } from "./schemas/published.js";
