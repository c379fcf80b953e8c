import { appCommands, type Command } from "@hop3/cli-kit";
import { keysCommands } from "@hop3/ssh-access";
import { doctorCommand } from "./doctor.js";
import { setupCommand } from "./setup.js";

/** `hop3`'s commands: the life of an app (@hop3/cli-kit's), then preparing and checking this server, and its deploy keys. */
export const builtInCommands: readonly Command[] = [...appCommands, doctorCommand, setupCommand, ...keysCommands];
