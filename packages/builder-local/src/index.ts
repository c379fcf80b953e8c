export { createLocalBuilder, createLocalBuilder as default, selectToolchains, BUILDER_NAME, type SelectedToolchain } from "./builder.js";
export { localBuilderPlugin, createLocalPlugin, builtinToolchains, toolchainRequirements } from "./plugin.js";
export { resolveLocalOptions, packageIndexEnv, PACKAGE_INDEX_VARIABLES, BUILTIN_TOOLCHAINS, type LocalBuilderOptions, type ResolvedLocalOptions, type BuiltinToolchain } from "./options.js";
export { localErrorCatalog, type LocalErrorCode } from "./errors.js";
export { compileIgnorePattern, createIgnoreFilter, ALWAYS_IGNORED } from "./ignore.js";
export { copySources, releaseDir, buildsDir, removeRelease, prepareBuildsDir, releaseDirMode, releaseFileMode } from "./release-dir.js";
export { removeAppTree, hop3Dir, appDir, type AppTreeContext } from "./app-files.js";
export { createAppCache, cacheOf, type AppCache, type LocalToolchainBuildContext } from "./cache.js";
export { addContribution, buildCommandEnv, resolveWorkers, artifactKind, emptyContribution, type MergedContribution } from "./merge.js";
export * from "./toolchains/index.js";
/** What run-time plugin loading (HOP3_PLUGINS, package.json hop3.plugins) imports. */
export { localBuilderPlugin as hop3Plugin } from "./plugin.js";
