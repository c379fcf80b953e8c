import { findProgram, runCommand } from "@hop3/core";
import { defineCommand } from "../command.js";
import { cliError } from "../errors.js";
import { colors, type CliIO } from "../io.js";
import {
  collectRequirements,
  defaultDeployUser,
  gatherFacts,
  machineProbes,
  packagesOf,
  planSetup,
  renderCommand,
  runSetup,
  type SetupPlan,
  type SetupReport,
  type SetupStep,
  type StepResult,
} from "../setup/index.js";
import { UsageError } from "../usage-error.js";

const USAGE = "hop3 setup [--dry-run] [--yes] [--without ID]... [--with ID]... [--user NAME] [--json]";

export const setupCommand = defineCommand({
  name: ["setup"],
  summary: "Install what this distribution's plugins need on the server (nginx, uWSGI, Nix, Docker)",
  usage: USAGE,
  options: {
    "dry-run": { type: "boolean" },
    yes: { type: "boolean", short: "y" },
    without: { type: "string", multiple: true },
    with: { type: "string", multiple: true },
    user: { type: "string" },
  },
  async run({ args, io, json, distribution, reporter }) {
    const requirements = collectRequirements((await distribution()).plugins);
    const known = requirements.map((r) => r.id);
    const list = (name: "with" | "without") => {
      const ids = ((args.values[name] as string[] | undefined) ?? []).flatMap((value) => value.split(",")).filter(Boolean);
      const unknown = ids.find((id) => !known.includes(id));
      if (unknown !== undefined) throw new UsageError(`--${name} ${unknown}: this distribution needs no "${unknown}"; known: ${known.join(", ")}`, USAGE);
      return ids;
    };
    const choices = { without: list("without"), with: list("with") };
    const deployUser = (args.values.user as string | undefined) ?? defaultDeployUser(io.env);
    if (!/^([a-z_][a-z0-9_.-]*\$?|[0-9]+)$/i.test(deployUser)) throw new UsageError(`--user "${deployUser}" is not a user name`, USAGE);

    const facts = await gatherFacts(machineProbes(io.env), {
      packages: [...new Set(requirements.flatMap(packagesOf))],
      programs: requirements.map((r) => r.program),
      deployUser,
    });
    const plan = planSetup(requirements, facts, choices);
    const planData = describePlan(plan);

    if (!plan.supported) {
      const error = cliError("SETUP_PLATFORM_UNSUPPORTED", `hop3 setup cannot install packages on ${plan.platform.name}.`, { details: { platform: plan.platform } });
      writeError(io, error);
      return { data: { ...planData, error: error.toJSON() }, text: plan.manualSteps.map((line, i) => (i === 0 ? line : `  - ${line}`)), exitCode: 1 };
    }
    if (args.values["dry-run"]) return { data: { ...planData, dryRun: true }, text: planText(plan, plan.root ? "" : "sudo") };
    if (plan.steps.length > 0 && !plan.root) {
      const error = cliError("SETUP_NEEDS_ROOT", `hop3 setup must change ${plan.steps.length} thing(s) on this machine, which needs root.`, { details: { steps: plan.steps.map((s) => s.id) } });
      writeError(io, error);
      return { data: { ...planData, error: error.toJSON() }, text: ["Run as root, or run these commands:", ...plan.steps.flatMap((s) => s.commands.map((c) => `  ${renderCommand(c, "sudo")}`))], exitCode: 1 };
    }
    if (plan.steps.length > 0 && !args.values.yes) {
      if (!json) io.stdout.write(`${planText(plan, "").join("\n")}\n`);
      throw cliError("CONFIRMATION_REQUIRED", "hop3 setup changes this machine (above); nothing was changed.", { hint: "Add --yes to make these changes, or --dry-run to only see them." });
    }

    const report = await runSetup(plan, {
      run: runCommand,
      hasProgram: (name) => findProgram(name, io.env) !== undefined,
      env: io.env,
      signal: io.signal,
      step: json ? (_name, action) => action(silent) : (name, action) => reporter.step(name, action),
    });
    return { data: { ...planData, result: report }, text: reportText(plan, report, io), exitCode: report.status === "failed" ? 1 : 0 };
  },
});

const silent = { info() {}, warn() {}, debug() {}, output() {} };

function writeError(io: CliIO, error: { code: string; message: string; hint: string }) {
  const c = colors(io.stderr, io.env);
  io.stderr.write(`${c.red(`error[${error.code}]`)}: ${error.message}\n${c.bold("hint")}: ${error.hint}\n`);
}

/** The plan as data, commands rendered as people would type them. */
function describePlan(plan: SetupPlan) {
  const step = (s: SetupStep) => ({ id: s.id, title: s.title, kind: s.kind, component: s.component, optional: s.optional, commands: s.commands.map((c) => renderCommand(c)), ...(s.program && { program: s.program }) });
  return {
    platform: plan.platform,
    root: plan.root,
    systemd: plan.systemd,
    deployUser: plan.deployUser,
    nixMode: plan.nixMode ?? null,
    supported: plan.supported,
    components: plan.components,
    steps: plan.steps.map(step),
    checks: plan.checks.map(step),
    notes: plan.notes,
    manualSteps: plan.manualSteps,
  };
}

function header(plan: SetupPlan): string[] {
  const selected = plan.components.filter((c) => c.selected).map((c) => c.id);
  const left = plan.components.filter((c) => !c.selected).map((c) => `${c.id} (${c.level === "opt-in" ? `--with ${c.id}` : "--without"})`);
  return [
    `platform: ${plan.platform.name}; ${plan.root ? "root" : "not root"}; ${plan.systemd ? "systemd" : "no systemd"}; deploying user: ${plan.deployUser}`,
    `components: ${selected.join(", ") || "none"}${left.length > 0 ? `; left out: ${left.join(", ")}` : ""}`,
    ...(plan.nixMode ? [`nix: ${plan.nixMode === "multi-user" ? "multi-user (nix-daemon, systemd)" : "single-user (no daemon)"}`] : []),
  ];
}

function planText(plan: SetupPlan, prefix: string): string[] {
  const lines = header(plan);
  if (plan.steps.length === 0) lines.push("Nothing to change: everything is in place.");
  else {
    lines.push("Would change:");
    for (const s of plan.steps) {
      lines.push(`  ${s.title}${s.optional ? " (optional)" : ""}`);
      for (const c of s.commands) lines.push(`    $ ${renderCommand(c, prefix)}`);
    }
  }
  lines.push("Then check:", ...plan.checks.map((s) => `  ${s.title}`));
  for (const note of plan.notes) lines.push(`note: ${note}`);
  return lines;
}

function reportText(plan: SetupPlan, report: SetupReport, io: CliIO): string[] {
  const c = colors(io.stdout, io.env);
  const mark = { done: c.green("done"), ok: c.green("ok  "), failed: c.red("FAIL"), skipped: c.yellow("skip") } as const;
  const line = (r: StepResult) => {
    const lines = [`${mark[r.status]} ${r.title}${r.status === "skipped" ? "" : ` (${r.seconds.toFixed(1)} s)`}`];
    if (r.failure) {
      lines.push(`     command: ${r.failure.command}: ${r.failure.message}`);
      for (const out of r.failure.lastLines) lines.push(`     | ${out}`);
      lines.push(`     hint: ${r.failure.hint}`);
    }
    return lines;
  };
  const lines = [...header(plan), ...report.steps.flatMap(line), ...report.checks.flatMap(line)];
  for (const note of plan.notes) lines.push(`note: ${note}`);
  const optionalFailures = [...report.steps, ...report.checks].filter((r) => r.status === "failed" && r.optional).map((r) => r.component);
  lines.push(
    report.status === "unchanged"
      ? "Nothing to change: this machine is ready for `hop3 deploy`."
      : report.status === "changed"
        ? `Changed ${report.steps.length} thing(s): this machine is ready for \`hop3 deploy\`.`
        : `Setup failed${optionalFailures.length > 0 ? ` (optional: ${[...new Set(optionalFailures)].join(", ")})` : ""}: see the steps marked FAIL above.`,
  );
  return lines;
}
