import type { Command } from "../command.js";
import { buildCommand } from "./build.js";
import { doctorCommand } from "./doctor.js";
import { planCommand } from "./plan.js";
import { pluginsCommand } from "./plugins.js";

/** The built-in commands every distribution made with createCli gets. */
export const builtInCommands: readonly Command[] = [planCommand, buildCommand, pluginsCommand, doctorCommand];
