export { createStaticDeployer, createStaticDeployer as default, DEPLOYER_NAME } from "./deployer.js";
export { staticDeployerPlugin, PACKAGE_NAME } from "./plugin.js";
export { staticErrorCatalog, type StaticErrorCode } from "./errors.js";
export { staticDirOf, STATIC_WORKER } from "./static-dir.js";
export { stateFile } from "./state.js";
/** What run-time plugin loading (HOP3_PLUGINS, package.json hop3.plugins) imports. */
export { staticDeployerPlugin as hop3Plugin } from "./plugin.js";
