import { Type, type Static } from "../vendor/typebox.js";

/**
 * `$out/hop3/runtime.json`, exactly as the Nix integration specification defines it: workers
 * (required), env and path (optional). Worker names and the static worker are checked in
 * formats/runtime-json.ts, where the errors can name them.
 */
export const RuntimeJsonSchema = Type.Object(
  {
    workers: Type.Record(Type.String(), Type.String(), {
      description:
        "Worker name to command. `web` must listen on $BIND_ADDRESS:$PORT; `static` is a directory served by nginx; any other name is a daemon.",
    }),
    env: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: "Environment variables set at run time." }),
    ),
    path: Type.Optional(Type.Array(Type.String(), { description: "Directories prepended to PATH." })),
  },
  {
    $id: "https://hop3.dev/schemas/runtime.json",
    title: "Hop3 runtime.json",
    description: "Runtime configuration a Nix build writes to $out/hop3/runtime.json.",
    additionalProperties: false,
  },
);

export type RuntimeJson = Static<typeof RuntimeJsonSchema>;
