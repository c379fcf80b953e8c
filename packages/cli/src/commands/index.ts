import type { Command } from "../command.js";
import { appsCommand, destroyCommand } from "./apps.js";
import { buildCommand } from "./build.js";
import { configCommands } from "./config.js";
import { deployCommand } from "./deploy.js";
import { doctorCommand } from "./doctor.js";
import { domainsCommands } from "./domains.js";
import { restartCommand, scaleCommand, startCommand, statusCommand, stopCommand } from "./lifecycle.js";
import { logsCommand } from "./logs.js";
import { planCommand } from "./plan.js";
import { pluginsCommand } from "./plugins.js";
import { releasesCommand, rollbackCommand } from "./releases.js";
import { serverCommands } from "./server.js";
import { setupCommand } from "./setup.js";
import { validateCommand } from "./validate.js";

/** The built-in commands every distribution made with createCli gets, in the order --help lists them. */
export const builtInCommands: readonly Command[] = [
  deployCommand,
  planCommand,
  validateCommand,
  buildCommand,
  appsCommand,
  statusCommand,
  logsCommand,
  startCommand,
  stopCommand,
  restartCommand,
  scaleCommand,
  destroyCommand,
  ...configCommands,
  ...domainsCommands,
  ...serverCommands,
  doctorCommand,
  pluginsCommand,
  releasesCommand,
  rollbackCommand,
  setupCommand,
];
