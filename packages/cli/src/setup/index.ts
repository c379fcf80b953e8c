// hop3 setup: probes -> facts -> plan -> run -> report. Each stage takes the previous one's plain data.
export { parseOsRelease, type Platform } from "./platform.js";
export { gatherFacts, machineProbes, defaultDeployUser, MANAGED_UNITS, type SetupProbes, type MachineFacts, type DeployUser, type UnitState } from "./facts.js";
export {
  planSetup,
  collectRequirements,
  packagesOf,
  renderCommand,
  shellQuote,
  NIX_SETUP_PACKAGE,
  NIX_CHECK_EXPRESSION,
  type SetupPlan,
  type SetupStep,
  type SetupCommand,
  type SetupChoices,
  type PlannedComponent,
  type NixMode,
} from "./plan.js";
export { runSetup, type SetupReport, type StepResult, type StepStatus, type SetupRunner } from "./run.js";
export { detectNixMode, NIX_DAEMON_SOCKET, type NixModeReport, type NixModeProbes } from "./nix-mode.js";
export { describePlan, planText, reportText } from "./render.js";
