import { resolve } from "node:path";
import { defineCliCommand, describeEnvEntry } from "@hop3/core/cli";
import type { BuildPlan, Distribution } from "@hop3/core";

export const planCommand = defineCliCommand({
  name: ["plan"],
  summary: "Say which builder would build an app, and why, and what its build or deploy would refuse (no side effects)",
  usage: "hop3 plan [DIR] [--app NAME] [--builder NAME] [--json]",
  options: { app: { type: "string" }, builder: { type: "string" } },
  maxPositionals: 1,
  async run({ args, io, distribution }) {
    const dist = await distribution();
    const plan = await dist.plan(resolve(io.cwd, args.positionals[0] ?? "."), {
      ...(typeof args.values.app === "string" && { appName: args.values.app }),
      ...(typeof args.values.builder === "string" && { builder: args.values.builder }),
    });
    const data = planData(plan, dist);
    return { data, text: planText(data) };
  },
});

/** The plan as `--json` prints it. */
export function planData(plan: BuildPlan, distribution: Distribution) {
  return {
    app: plan.app.name,
    dir: plan.app.dir,
    builder: { name: plan.builder.name, reason: plan.builder.reason, explicit: plan.builder.explicit },
    candidates: plan.candidates.map(({ name, accepted, reason }) => ({ name, accepted, reason, priority: priorityOf(name, distribution) })),
    toolchains: plan.toolchains.map(({ name, files, reason }) => ({ name, files, reason })),
    deployers: distribution.registry.deployers().map((d) => ({ name: d.name, takes: d.takes })),
    workers: plan.app.config.workers,
    /** Where the workers come from when the app names none, as the chosen builder says. */
    workersFrom: distribution.registry.builders().find((b) => b.name === plan.builder.name)?.workersFrom ?? "the build",
    /** hop3.toml [env] references and how each resolves here; secrets masked. */
    env: (plan.env?.entries ?? []).map(describeEnvEntry),
    /** What was checked before the build (a plan with problems is refused with the first one's code). */
    checks: {
      ...(plan.checks?.shape !== undefined && { shape: plan.checks.shape }),
      ...(plan.checks?.deployer !== undefined && { deployer: plan.checks.deployer }),
      workersChecked: plan.checks?.workersChecked ?? false,
      notes: plan.checks?.notes ?? [],
    },
    warnings: plan.warnings,
    plugins: distribution.plugins.map(({ name, order, origin }) => ({ name, order, origin })),
  };
}

const priorityOf = (builder: string, distribution: Distribution) => distribution.registry.builders().find((b) => b.name === builder)?.priority ?? 100;

function planText(data: ReturnType<typeof planData>): string[] {
  const lines = [`app ${data.app} (${data.dir})`, `builder: ${data.builder.name} (${data.builder.reason})`, "candidates, in the order they are asked:"];
  for (const c of data.candidates) lines.push(`  ${c.accepted ? "yes" : "no "} ${c.name} (priority ${c.priority}): ${c.reason}`);
  if (data.toolchains.length > 0) {
    lines.push("toolchains:");
    for (const t of data.toolchains) lines.push(`  ${t.name}: ${t.reason}`);
  }
  const workers = Object.entries(data.workers);
  lines.push(workers.length > 0 ? "workers:" : `workers: from ${data.workersFrom}`);
  for (const [name, command] of workers) lines.push(`  ${name}: ${command}`);
  if (data.env.length > 0) lines.push("env references:", ...data.env.map((line) => `  ${line}`));
  if (data.deployers.length > 0) lines.push(`deployers: ${data.deployers.map((d) => `${d.name} (${d.takes.join(", ")})`).join("; ")}`);
  if (data.checks.deployer !== undefined) lines.push(`checked before the build: deployer ${data.checks.deployer} (${data.checks.shape}) runs these workers on this host`);
  for (const note of data.checks.notes) lines.push(`not checked before the build: ${note}`);
  const added = data.plugins.filter((p) => p.origin !== "distribution");
  if (added.length > 0) lines.push(`plugins added at run time: ${added.map((p) => `${p.name} (from ${p.origin})`).join("; ")}`);
  for (const warning of data.warnings) lines.push(`warning: ${warning}`);
  return lines;
}
