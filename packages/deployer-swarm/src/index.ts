export { createSwarmDeployer } from "./deployer.js";
export { swarmDeployerPlugin } from "./plugin.js";
export { swarmErrorCatalog, type SwarmErrorCode } from "./errors.js";
export { DEPLOYER_NAME, PACKAGE_NAME, type SwarmDeployerOptions } from "./options.js";
export { checkSwarmRegistry, registryFromEnv, type RegistryCheck } from "./registry.js";
