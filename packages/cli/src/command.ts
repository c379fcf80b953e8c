// The command contract is core's and the shell is @hop3/cli-kit's: the built-in commands import these names from here.
export { defineCommand, type Command, type CommandInput, type CommandOutcome } from "@hop3/cli-kit";
