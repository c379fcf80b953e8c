import { chmodSync } from "node:fs";
import { Hop3Error, writeFileAtomic, type CommandRunner, type Logger } from "@hop3/core";
import { renderCommand, type SetupFile, type SetupPlan, type SetupStep } from "./plan.js";

/** What became of one step. `ok`: a check that passed; `skipped`: not run, a required step before it failed. */
export type StepStatus = "done" | "ok" | "failed" | "skipped";

export interface StepResult {
  readonly id: string;
  readonly title: string;
  readonly kind: SetupStep["kind"];
  readonly component: string;
  readonly optional: boolean;
  readonly status: StepStatus;
  readonly seconds: number;
  readonly commands: readonly string[];
  /** Paths of the files it writes. */
  readonly files?: readonly string[];
  /** On failure: the command that failed, its last output lines, and what to do. */
  readonly failure?: { readonly command: string; readonly message: string; readonly lastLines: readonly string[]; readonly hint: string };
}

export interface SetupReport {
  /** `changed`: steps ran and all passed; `unchanged`: there was nothing to change; `failed`: a step or check failed. */
  readonly status: "changed" | "unchanged" | "failed";
  readonly steps: readonly StepResult[];
  readonly checks: readonly StepResult[];
}

export interface SetupRunner {
  readonly run: CommandRunner;
  /** Whether a program is on PATH (the checks' test). */
  readonly hasProgram: (name: string) => boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal: AbortSignal;
  /** Shows progress: the reporter's `step`, or a plain call in tests. */
  readonly step: <T>(name: string, action: (logger: Logger) => Promise<T>) => Promise<T>;
  /** Writes a step's file (default: atomically, then its mode set whatever the umask). */
  readonly writeFile?: (file: SetupFile) => void;
}

function writeSetupFile(file: SetupFile): void {
  writeFileAtomic(file.path, file.content, file.mode);
  chmodSync(file.path, file.mode);
}

/** Per command; an apt install of Docker on a slow mirror takes minutes. */
const STEP_TIMEOUT_MS = 15 * 60_000;

/**
 * Runs the plan's changes in order, then its checks. A failed required step skips the changes after it
 * (they build on it); a failed optional one (Docker) does not. Checks always run.
 */
export async function runSetup(plan: SetupPlan, runner: SetupRunner): Promise<SetupReport> {
  const steps: StepResult[] = [];
  let stopped = false;
  for (const step of plan.steps) {
    if (stopped) {
      steps.push(result(step, "skipped", 0));
      continue;
    }
    const outcome = await runStep(step, runner);
    steps.push(outcome);
    if (outcome.status === "failed" && !step.optional) stopped = true;
  }
  const checks: StepResult[] = [];
  for (const check of plan.checks) checks.push(await runStep(check, runner));
  const failed = [...steps, ...checks].some((s) => s.status === "failed");
  return { status: failed ? "failed" : plan.steps.length > 0 ? "changed" : "unchanged", steps, checks };
}

async function runStep(step: SetupStep, runner: SetupRunner): Promise<StepResult> {
  const started = performance.now();
  const seconds = () => Math.round(performance.now() - started) / 1000;
  try {
    // A PATH check runs nothing: no progress to show.
    const show: SetupRunner["step"] = step.commands.length > 0 || (step.files?.length ?? 0) > 0 ? runner.step : (_name, action) => action(quiet);
    await show(step.title, async (logger) => {
      if (step.program !== undefined && !runner.hasProgram(step.program)) {
        throw new StepFailure(`which ${step.program}`, `${step.program} is not on PATH.`, []);
      }
      for (const file of step.files ?? []) {
        try {
          (runner.writeFile ?? writeSetupFile)(file);
        } catch (error) {
          throw new StepFailure(`write ${file.path}`, (error as Error).message, []);
        }
        logger.info(`wrote ${file.path}`);
      }
      for (const command of step.commands) {
        const [file, ...args] = command.argv;
        const result = await runner.run(file!, args, {
          env: { ...runner.env, ...command.env },
          extendEnv: false,
          logger,
          signal: runner.signal,
          timeoutMs: STEP_TIMEOUT_MS,
          allowFailure: true,
        });
        if (result.exitCode !== 0) throw new StepFailure(renderCommand(command), `exited with code ${result.exitCode}`, result.lastLines);
      }
    });
    return result(step, step.kind === "check" ? "ok" : "done", seconds());
  } catch (error) {
    if (Hop3Error.is(error) && error.code === "COMMAND_CANCELLED") throw error;
    const failure =
      error instanceof StepFailure
        ? { command: error.command, message: error.message, lastLines: error.lastLines.slice(-10), hint: step.hint }
        : {
            command: renderCommand(step.commands[0] ?? { argv: [] }),
            message: (error as Error).message,
            lastLines: Hop3Error.is(error) ? (((error.details as { lastLines?: string[] } | undefined)?.lastLines ?? []).slice(-10)) : [],
            hint: Hop3Error.is(error) && error.hint ? `${error.hint} ${step.hint}` : step.hint,
          };
    return { ...result(step, "failed", seconds()), failure };
  }
}

const quiet: Logger = { info() {}, warn() {}, debug() {}, output() {} };

class StepFailure extends Error {
  constructor(
    readonly command: string,
    message: string,
    readonly lastLines: readonly string[],
  ) {
    super(message);
  }
}

const result = (step: SetupStep, status: StepStatus, seconds: number): StepResult => ({
  id: step.id,
  title: step.title,
  kind: step.kind,
  component: step.component,
  optional: step.optional,
  status,
  seconds,
  commands: step.commands.map((c) => renderCommand(c)),
  ...(step.files && step.files.length > 0 && { files: step.files.map((f) => f.path) }),
});
