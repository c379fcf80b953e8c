export { createStaticDeployer, createStaticDeployer as default, DEPLOYER_NAME } from "./deployer.js";
export { staticDeployerPlugin, PACKAGE_NAME } from "./plugin.js";
export { staticErrorCatalog, type StaticErrorCode } from "./errors.js";
export { staticDirOf, STATIC_WORKER } from "./static-dir.js";
export { stateFile } from "./state.js";
