import { cliKitError, colors, defineCommand, type CliIO } from "@hop3/cli-kit";
import { findProgram, runCommand, UsageError } from "@hop3/core/cli";
import { cliError } from "../errors.js";

const USAGE = "hop3 setup [--dry-run] [--yes] [--without ID]... [--with ID]... [--user NAME] [--nix-cache URL] [--nix-builder URI]... [--nix-trust KEY]... [--nix-signing-key] [--json]";

export const setupCommand = defineCommand({
  name: ["setup"],
  summary: "Install what this distribution's plugins need on the server (nginx, uWSGI, Nix, Docker), put hop3 on PATH, start Hop3 at boot, make the login user of deploy keys",
  usage: USAGE,
  options: {
    "dry-run": { type: "boolean" },
    yes: { type: "boolean", short: "y" },
    without: { type: "string", multiple: true },
    with: { type: "string", multiple: true },
    user: { type: "string" },
    // Nix's distributed builds (docs/reference/nix-distributed.md): what `hop3 nix ...` sets, in one go.
    "nix-cache": { type: "string" },
    "nix-builder": { type: "string", multiple: true },
    "nix-trust": { type: "string", multiple: true },
    "nix-signing-key": { type: "boolean" },
  },
  async run({ args, io, json, distribution, reporter }) {
    // Loaded on use: every other command starts without it.
    const { collectRequirements, SSH_ACCESS_REQUIREMENTS, defaultDeployUser, describeInstall, gatherFacts, machineProbes, packagesOf, planSetup, renderCommand, renderFile, runSetup, describePlan, planText, reportText } = await import(
      "@hop3/server-setup"
    );
    const dist = await distribution();
    // Deploy keys' own needs (sudo, sshd) come after the plugins'.
    const requirements = collectRequirements([...dist.plugins, { requirements: SSH_ACCESS_REQUIREMENTS }]);
    // The boot unit and the PATH wrapper run this very install; a distribution that cannot say how to run itself gets neither.
    const hop3Command = dist.operationContext().hop3Command;
    const install = hop3Command && hop3Command.length > 0 ? describeInstall(hop3Command, io.env) : undefined;
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
      ...(install && { install }),
    });
    const plan = planSetup(requirements, facts, choices, install);
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
      const commands = plan.steps.flatMap((s) => [...(s.files ?? []).map((f) => renderFile(f, "sudo")), ...s.commands.map((c) => renderCommand(c, "sudo"))]);
      return { data: { ...planData, error: error.toJSON() }, text: ["Run as root, or run these commands:", ...commands.flatMap((c) => c.split("\n").map((line, i) => (i === 0 ? `  ${line}` : line)))], exitCode: 1 };
    }
    if (plan.steps.length > 0 && !args.values.yes) {
      if (!json) io.stdout.write(`${planText(plan, "").join("\n")}\n`);
      throw cliKitError("CONFIRMATION_REQUIRED", "hop3 setup changes this machine (above); nothing was changed.", { hint: "Add --yes to make these changes, or --dry-run to only see them." });
    }

    const report = await runSetup(plan, {
      run: runCommand,
      hasProgram: (name) => findProgram(name, io.env) !== undefined,
      env: io.env,
      signal: io.signal,
      step: json ? (_name, action) => action(silent) : (name, action) => reporter.step(name, action),
    });
    const nix = report.status === "failed" ? [] : await configureNix(args.values, io.env);
    const text = [...reportText(plan, report, colors(io.stdout, io.env)), ...nix.map((line) => `nix: ${line}`)];
    return { data: { ...planData, result: report, ...(nix.length > 0 && { nix }) }, text, exitCode: report.status === "failed" ? 1 : 0 };
  },
});

/** The --nix-* flags, applied once the machine is set up (Nix is installed then). */
async function configureNix(values: Record<string, unknown>, env: CliIO["env"]): Promise<string[]> {
  const request = {
    ...(typeof values["nix-cache"] === "string" && { cache: values["nix-cache"] }),
    ...(Array.isArray(values["nix-builder"]) && { builders: values["nix-builder"] as string[] }),
    ...(Array.isArray(values["nix-trust"]) && { trust: values["nix-trust"] as string[] }),
    ...(values["nix-signing-key"] === true && { signingKey: true }),
  };
  if (Object.keys(request).length === 0) return [];
  const { configureNixDistributed } = await import("@hop3/builder-nix");
  return configureNixDistributed(env, request);
}

const silent = { info() {}, warn() {}, debug() {}, output() {} };

function writeError(io: CliIO, error: { code: string; message: string; hint: string }) {
  const c = colors(io.stderr, io.env);
  io.stderr.write(`${c.red(`error[${error.code}]`)}: ${error.message}\n${c.bold("hint")}: ${error.hint}\n`);
}
