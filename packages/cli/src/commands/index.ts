import { appCommands, type Command } from "@hop3/cli-kit";
import { doctorCommand } from "./doctor.js";
import { setupCommand } from "./setup.js";

/** `hop3`'s commands: the life of an app (@hop3/cli-kit's), then preparing and checking this server. */
export const builtInCommands: readonly Command[] = [...appCommands, doctorCommand, setupCommand];
