export { createDockerBuilder, createDockerBuilder as default } from "./builder.js";
export { dockerPlugin, createDockerPlugin, dockerBuilderPlugin } from "./plugin.js";
export { resolveDockerOptions, type DockerBuilderOptions, type ResolvedDockerOptions } from "./options.js";
export { dockerErrorCatalog, type DockerErrorCode } from "./errors.js";
export { classifyDockerFailure, buildOutputTail, type DockerFailure } from "./classify.js";
export { dockerArtifact, ARTIFACT_KIND, BUILDER_NAME, type DockerBuildResult } from "./artifact.js";
export { exposedPorts, chooseContainerPort, dockerfileInstructions, type ExposedPorts, type PortSource, type ConfiguredPortSource } from "./dockerfile.js";
export { imageReference, releaseTag, IMAGE_REPOSITORY } from "./image.js";
export { renderRunCommand, CONTAINER_VARIABLES, type RunCommandSpec } from "./run-command.js";
export { dockerAppSettings, buildArguments, DEFAULT_DOCKERFILE, type DockerAppSettings } from "./settings.js";
/** What run-time plugin loading (HOP3_PLUGINS, package.json hop3.plugins) imports. */
export { dockerPlugin as hop3Plugin } from "./plugin.js";
