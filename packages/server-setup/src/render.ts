import { renderCommand, renderFile, type SetupPlan, type SetupStep } from "./plan.js";
import type { SetupReport, StepResult } from "./run.js";

/** The plan as data (`--json`), commands rendered as people would type them. */
export function describePlan(plan: SetupPlan) {
  const step = (s: SetupStep) => ({
    id: s.id,
    title: s.title,
    kind: s.kind,
    component: s.component,
    optional: s.optional,
    commands: s.commands.map((c) => renderCommand(c)),
    ...(s.files && s.files.length > 0 && { files: s.files.map((f) => ({ path: f.path, mode: f.mode.toString(8).padStart(4, "0"), content: f.content })) }),
    ...(s.program && { program: s.program }),
  });
  return {
    platform: plan.platform,
    root: plan.root,
    systemd: plan.systemd,
    deployUser: plan.deployUser,
    nixMode: plan.nixMode ?? null,
    nixDaemon: plan.nixDaemon ?? null,
    bootUnit: plan.bootUnit ?? null,
    bootCommand: plan.bootCommand ?? null,
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
    ...(plan.nixMode ? [`nix: ${nixModeText(plan)}`] : []),
  ];
}

function nixModeText(plan: SetupPlan): string {
  if (plan.nixMode === "single-user") return `single-user (no daemon): ${plan.deployUser} builds by writing the store`;
  return plan.nixDaemon === "systemd"
    ? "multi-user (nix-daemon.socket, systemd)"
    : "multi-user: no systemd here, so a nix-daemon is started by setup and, when none answers, by the Nix builder; each app builds as its own user, through it";
}

/** The plan for people: what setup found, what it would change (each command), what it checks. */
export function planText(plan: SetupPlan, prefix: string): string[] {
  const lines = header(plan);
  if (plan.steps.length === 0) lines.push("Nothing to change: everything is in place.");
  else {
    lines.push("Would change:");
    for (const s of plan.steps) {
      lines.push(`  ${s.title}${s.optional ? " (optional)" : ""}`);
      // The here-document's lines are not indented: the command can be copied as it is.
      for (const f of s.files ?? []) lines.push(...renderFile(f, prefix).split("\n").map((line, i) => (i === 0 ? `    $ ${line}` : line)));
      for (const c of s.commands) lines.push(`    $ ${renderCommand(c, prefix)}`);
    }
  }
  lines.push("Then check:", ...plan.checks.map((s) => `  ${s.title}`));
  for (const note of plan.notes) lines.push(`note: ${note}`);
  return lines;
}

/** How the caller paints status words (the CLI's colors: plain text when its output is no terminal). */
export interface TextColors {
  readonly green: (text: string) => string;
  readonly red: (text: string) => string;
  readonly yellow: (text: string) => string;
}

/** A run for people: each step with its status and time, failures with command, output and hint. */
export function reportText(plan: SetupPlan, report: SetupReport, c: TextColors): string[] {
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
