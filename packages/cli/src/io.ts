// The process's io is @hop3/cli-kit's: the built-in commands import these names from here.
export { colors, processIO, type CliIO, type OutputStream } from "@hop3/cli-kit";
