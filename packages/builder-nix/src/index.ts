export { createNixBuilder, createNixBuilder as default } from "./builder.js";
export { nixPlugin, createNixPlugin } from "./plugin.js";
export { resolveNixOptions, type NixBuilderOptions, type ResolvedNixOptions } from "./options.js";
export { nixErrorCatalog, type NixErrorCode } from "./errors.js";
export { classifyNixFailure, type NixFailure } from "./classify.js";
export { nixArtifact, type NixBuildResult } from "./artifact.js";
export {
  validateNixApps,
  findNixApps,
  formatAppValidation,
  formatSummary,
  type ValidateNixAppsOptions,
  type NixAppValidation,
  type NixAppsValidation,
  type TextOutput,
} from "./validate-apps.js";
export { createValidateCommand } from "./validate-command.js";
export { readNixConfig, parseNixSection, type NixDistributedConfig, type NixBuilderMachine } from "./distributed/config.js";
export { checkNixDistributed, configureNixDistributed, createDistributedCommands, type NixCheck, type NixSetupRequest } from "./distributed/commands.js";
export type { NixOrigin } from "./distributed/realise.js";
/** What run-time plugin loading (HOP3_PLUGINS, package.json hop3.plugins) imports. */
export { nixPlugin as hop3Plugin } from "./plugin.js";
