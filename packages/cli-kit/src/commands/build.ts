import { resolve } from "node:path";
import { defineCliCommand } from "@hop3/core/cli";

export const buildCommand = defineCliCommand({
  name: ["build"],
  summary: "Build an app and print the artifact (nothing is deployed)",
  usage: "hop3 build [DIR] [--app NAME] [--builder NAME] [--json]",
  options: { app: { type: "string" }, builder: { type: "string" } },
  maxPositionals: 1,
  async run({ args, io, distribution, reporter }) {
    const dist = await distribution();
    const plan = await reporter.step("plan", async () =>
      dist.plan(resolve(io.cwd, args.positionals[0] ?? "."), {
        ...(typeof args.values.app === "string" && { appName: args.values.app }),
        ...(typeof args.values.builder === "string" && { builder: args.values.builder }),
      }),
      (p) => `${p.builder.name}: ${p.builder.reason}`,
    );
    for (const warning of plan.warnings) reporter.note(warning);
    const artifact = await reporter.step(`build with ${plan.builder.name}`, (logger) => dist.build(plan, { logger, signal: io.signal }), (a) => a.location);
    const text = [
      `app ${artifact.appName}: ${artifact.kind} artifact built by ${artifact.builder}`,
      `location: ${artifact.location}`,
      `build id: ${artifact.buildId}`,
      "workers:",
      ...Object.entries(artifact.runtime.workers).map(([name, command]) => `  ${name}: ${command}`),
    ];
    const env = Object.keys(artifact.runtime.env);
    if (env.length > 0) text.push(`env: ${env.join(", ")}`);
    return { data: artifact, text };
  },
});
