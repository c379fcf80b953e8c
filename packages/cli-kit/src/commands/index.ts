import type { CliCommand } from "@hop3/core";
import { addonsCommands } from "./addons.js";
import { appsCommand, destroyCommand } from "./apps.js";
import { backupCommands } from "./backups.js";
import { buildCommand } from "./build.js";
import { configCommands } from "./config.js";
import { deployCommand } from "./deploy.js";
import { domainsCommands } from "./domains.js";
import { restartCommand, scaleCommand, startCommand, statusCommand, stopCommand } from "./lifecycle.js";
import { logsCommand } from "./logs.js";
import { planCommand } from "./plan.js";
import { pluginsCommand } from "./plugins.js";
import { releasesCommand, rollbackCommand } from "./releases.js";
import { runCommand } from "./run.js";
import { serverCommands } from "./server.js";
import { validateCommand } from "./validate.js";

/**
 * The life of an app from the command line, over any distribution: each command parses its
 * arguments, calls the distribution's pipeline and renders the outcome. In the order --help lists them.
 */
export const appCommands: readonly CliCommand[] = [
  deployCommand,
  planCommand,
  validateCommand,
  buildCommand,
  appsCommand,
  statusCommand,
  logsCommand,
  runCommand,
  startCommand,
  stopCommand,
  restartCommand,
  scaleCommand,
  destroyCommand,
  ...configCommands,
  ...domainsCommands,
  ...addonsCommands,
  ...serverCommands,
  pluginsCommand,
  releasesCommand,
  rollbackCommand,
  ...backupCommands,
];
