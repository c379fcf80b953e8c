import type { Logger, OutputLine } from "../logger.js";

/**
 * Progress of a long operation (deploy, rollback, restart...), as typed events. Core emits them;
 * a distribution renders them (the CLI: a live step list on a terminal, plain lines otherwise,
 * nothing with --json) or collects them (tests, a web UI).
 */
export type StepEvent =
  | { readonly type: "step-started"; readonly step: string }
  | { readonly type: "step-output"; readonly step: string; readonly line: OutputLine }
  | { readonly type: "step-done"; readonly step: string; readonly ms: number; readonly detail?: string }
  | { readonly type: "step-failed"; readonly step: string; readonly ms: number; readonly error: unknown }
  | { readonly type: "note"; readonly text: string };

/** Receives the events of one operation, in order. */
export type StepSink = (event: StepEvent) => void;

/** A sink that drops everything: the default when nobody listens. */
export const ignoreSteps: StepSink = () => {};

/** Runs named steps and reports them to a sink: what the pipeline uses to say what it does. */
export interface Steps {
  /** Runs `action` as a named step; what it logs arrives as `step-output` events of that step. */
  run<T>(name: string, action: (logger: Logger) => Promise<T>, describe?: (result: T) => string): Promise<T>;
  /** A line of its own, outside the steps (a warning, a note). */
  note(text: string): void;
}

export function createSteps(sink: StepSink = ignoreSteps): Steps {
  return {
    note: (text) => sink({ type: "note", text }),
    async run(step, action, describe) {
      const started = performance.now();
      const output = (line: OutputLine) => sink({ type: "step-output", step, line });
      const logger: Logger = {
        info: (text) => output({ stream: "stdout", text }),
        warn: (text) => output({ stream: "stderr", text: `warning: ${text}` }),
        debug: () => {},
        output,
      };
      sink({ type: "step-started", step });
      try {
        const result = await action(logger);
        const detail = describe?.(result);
        sink({ type: "step-done", step, ms: performance.now() - started, ...(detail !== undefined && { detail }) });
        return result;
      } catch (error) {
        sink({ type: "step-failed", step, ms: performance.now() - started, error });
        throw error;
      }
    },
  };
}
