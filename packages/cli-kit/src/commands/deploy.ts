import { resolve } from "node:path";
import { parseAssignments } from "../args.js";
import { defineCliCommand, UsageError } from "@hop3/core/cli";

export const deployCommand = defineCliCommand({
  name: ["deploy"],
  summary: "Build an app, start it, route it, wait until it answers, and print its URL",
  usage: "hop3 deploy [DIR | --store-path PATH] [--app NAME] [--builder NAME] [--env K=V]... [--json]",
  options: {
    app: { type: "string" },
    builder: { type: "string" },
    env: { type: "string", multiple: true },
    "store-path": { type: "string", valueName: "PATH", description: "deploy this Nix store path, built elsewhere and copied here (what --build-here sends), without building" },
  },
  maxPositionals: 1,
  async run({ args, io, distribution, onStep }) {
    const env = parseAssignments(args.values.env as string[] | undefined, this.usage);
    const storePath = typeof args.values["store-path"] === "string" ? args.values["store-path"] : undefined;
    if (storePath !== undefined && args.positionals.length > 0) throw new UsageError("--store-path deploys a package built elsewhere: it takes no DIR", this.usage);
    const dist = await distribution();
    const result = await dist.deploy(
      {
        dir: storePath ?? resolve(io.cwd, args.positionals[0] ?? "."),
        ...(storePath !== undefined && { storePath }),
        env,
        ...(typeof args.values.app === "string" && { appName: args.values.app }),
        ...(typeof args.values.builder === "string" && { builder: args.values.builder }),
      },
      { onStep, signal: io.signal },
    );
    // Where the builder says the artifact came from, e.g. Nix's "substituted" (from a binary cache, nothing built).
    const origin = typeof result.artifact.metadata.origin === "string" ? result.artifact.metadata.origin : undefined;
    return {
      data: {
        app: result.app,
        release: result.release,
        builder: result.builder,
        deployer: result.deployer,
        artifact: { kind: result.artifact.kind, location: result.artifact.location, buildId: result.artifact.buildId, ...(origin !== undefined && { origin }) },
        url: result.url,
        status: result.status,
      },
      text: [`${result.app} is live: ${result.url}${origin !== undefined ? ` (${origin})` : ""}`],
    };
  },
});
