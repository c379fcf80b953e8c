export { createPythonToolchain, isEmptyRequirements, refersToLocalFiles } from "./python.js";
export { createNodeToolchain, chooseInstaller, hasNothingToInstall, readPackageJson, type NodeInstaller } from "./node.js";
export { createGoToolchain } from "./go.js";
export { createRubyToolchain } from "./ruby.js";
export { createPhpToolchain } from "./php.js";
export { createStaticToolchain } from "./static.js";
export { createGenericToolchain } from "./generic.js";
export { detectByFiles, requireTool, runStep, type ToolchainSettings } from "./shared.js";
export { offlineEvidence } from "./network.js";
