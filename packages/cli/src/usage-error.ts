// Usage errors are part of core's command contract: the built-in commands import the class from here.
export { UsageError } from "@hop3/core";
