// hop3 setup: probes -> facts -> plan -> run -> report. Each stage takes the previous one's plain data.
// hop3 doctor's host reports: isolation, limits, config, an old home, boot, uWSGI's plugins.
export { parseOsRelease, type Platform } from "./platform.js";
export { gatherFacts, machineProbes, defaultDeployUser, MANAGED_UNITS, type SetupProbes, type MachineFacts, type DeployUser, type UnitState, type WantedFacts } from "./facts.js";
export {
  planSetup,
  collectRequirements,
  packagesOf,
  renderCommand,
  renderFile,
  NIX_SETUP_PACKAGE,
  NIX_CHECK_EXPRESSION,
  NIX_SOCKET_GROUP,
  type SetupPlan,
  type SetupStep,
  type SetupCommand,
  type SetupFile,
  type SetupChoices,
  type PlannedComponent,
  type NixMode,
  type NixDaemonStarter,
} from "./plan.js";
export { describeInstall, bootUnitName, renderBootUnit, renderPathWrapper, isPathWrapper, systemdQuote, bootCommandLine, PATH_WRAPPER, UNIT_DIR, type Hop3Install } from "./boot.js";
export { runSetup, type SetupReport, type StepResult, type StepStatus, type SetupRunner } from "./run.js";
export { detectNixMode, nixDaemonAnswers, NIX_DAEMON_SOCKET, type NixModeReport, type NixModeProbes, type NixModeFacts } from "./nix-mode.js";
export { describePlan, planText, reportText, type TextColors } from "./render.js";
export {
  isolationReport,
  limitsReport,
  readConfig,
  legacyHomeReport,
  bootReport,
  uwsgiPluginsReport,
  SINGLE_USER_GAPS,
  MOVING_HOME_PAGE,
  type Problem,
  type IsolationReport,
  type Enforcement,
  type LimitsReport,
  type ConfigReport,
  type LegacyHomeReport,
  type BootReport,
  type UwsgiPluginsReport,
} from "./host-reports.js";
export { SSH_ACCESS_REQUIREMENTS, sshLoginSteps, gatherSshLoginFacts, renderSshEntry, renderSudoers, type SshLoginFacts, type LoginUserFacts } from "./ssh-login.js";
