export { createNixDistribution, distributionVersion, PROGRAM } from "./distribution.js";
export { createNixCli } from "./cli.js";
