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
export { createValidateCommand, parseValidateArgs, VALIDATE_USAGE, type ValidateArgs } from "./validate-command.js";
