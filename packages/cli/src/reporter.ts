import type { Logger, OutputLine } from "@hop3/core";
import { colors, type CliIO, type OutputStream } from "./io.js";

/** A step of a long command (plan, build, deploy, health), with the output it produced. */
export interface StepReporter {
  /** Runs `action` as a named step; its logger's lines are shown folded under the step. */
  step<T>(name: string, action: (logger: Logger) => Promise<T>, describe?: (result: T) => string): Promise<T>;
  /** A line of its own, outside the steps (a warning, a note). */
  note(text: string): void;
}

/**
 * On a terminal: one live line per step with the latest output line under it, replaced by
 * `✓ name  1.2s` when done. Elsewhere (pipes, CI, --json): plain lines, every output line kept.
 */
export function createReporter(io: CliIO, stream: OutputStream = io.stderr): StepReporter {
  const c = colors(stream, io.env);
  const live = Boolean(stream.isTTY) && io.env.CI === undefined;
  const width = Math.max(40, (stream.columns ?? 100) - 6);
  const clip = (text: string) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);

  return {
    note: (text) => void stream.write(`${c.yellow("!")} ${text}\n`),
    async step(name, action, describe) {
      const started = performance.now();
      let shown = false;
      const lastLines: string[] = [];
      const show = (line: OutputLine) => {
        if (live) {
          stream.write(`${shown ? "\u001b[1A\u001b[2K" : ""}  ${c.dim(clip(line.text.replace(/\s+$/, "")))}\n`);
          shown = true;
        } else {
          stream.write(`  │ ${line.text}\n`);
        }
        lastLines.push(line.text);
      };
      const logger: Logger = {
        info: (text) => show({ stream: "stdout", text }),
        warn: (text) => show({ stream: "stderr", text: `warning: ${text}` }),
        debug: () => {},
        output: show,
      };
      stream.write(live ? `${c.cyan("›")} ${name}\n` : `${name}: started\n`);
      const clearLive = () => {
        if (live) stream.write(`${shown ? "\u001b[1A\u001b[2K" : ""}\u001b[1A\u001b[2K`);
      };
      try {
        const result = await action(logger);
        const seconds = `${((performance.now() - started) / 1000).toFixed(2)}s`;
        const detail = describe ? `  ${describe(result)}` : "";
        clearLive();
        stream.write(live ? `${c.green("✓")} ${name} ${c.dim(seconds)}${detail}\n` : `${name}: done in ${seconds}${detail}\n`);
        return result;
      } catch (error) {
        clearLive();
        stream.write(live ? `${c.red("✗")} ${name}\n` : `${name}: failed\n`);
        if (live) for (const line of lastLines.slice(-8)) stream.write(`  ${c.dim(line)}\n`);
        throw error;
      }
    },
  };
}
