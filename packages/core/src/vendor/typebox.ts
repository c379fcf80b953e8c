// Core's only door to TypeBox. The build bundles it into core's own modules (scripts/bundle-dist.mjs):
// TypeBox is some 250 files, and loading them one by one cost every `hop3` command about 0.1 s.
export { FormatRegistry, Kind, Type, type Static, type TSchema } from "@sinclair/typebox";
export { Value, ValueErrorType, type ValueError } from "@sinclair/typebox/value";
