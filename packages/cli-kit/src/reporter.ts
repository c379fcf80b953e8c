import { createSteps, type StepEvent, type StepReporter, type StepSink } from "@hop3/core/cli";
import { colors, type CliIO, type OutputStream } from "./io.js";

export type { StepReporter };

/**
 * Renders step events on a stream. On a terminal: one live line per step with the latest output
 * line under it, replaced by `✓ name  1.2s` when done. Elsewhere (pipes, CI, --json): plain lines,
 * every output line kept.
 */
export function renderSteps(io: CliIO, stream: OutputStream = io.stderr): StepSink {
  const c = colors(stream, io.env);
  const live = Boolean(stream.isTTY) && io.env.CI === undefined;
  const width = Math.max(40, (stream.columns ?? 100) - 6);
  const clip = (text: string) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);
  let shown = false;
  let lastLines: string[] = [];
  const clearLive = () => {
    if (live) stream.write(`${shown ? "\u001b[1A\u001b[2K" : ""}\u001b[1A\u001b[2K`);
  };
  return (event: StepEvent) => {
    switch (event.type) {
      case "note":
        stream.write(`${c.yellow("!")} ${event.text}\n`);
        return;
      case "step-started":
        shown = false;
        lastLines = [];
        stream.write(live ? `${c.cyan("›")} ${event.step}\n` : `${event.step}: started\n`);
        return;
      case "step-output":
        if (live) {
          stream.write(`${shown ? "\u001b[1A\u001b[2K" : ""}  ${c.dim(clip(event.line.text.replace(/\s+$/, "")))}\n`);
          shown = true;
        } else {
          stream.write(`  │ ${event.line.text}\n`);
        }
        lastLines.push(event.line.text);
        return;
      case "step-done": {
        const seconds = `${(event.ms / 1000).toFixed(2)}s`;
        const detail = event.detail === undefined ? "" : `  ${event.detail}`;
        clearLive();
        stream.write(live ? `${c.green("✓")} ${event.step} ${c.dim(seconds)}${detail}\n` : `${event.step}: done in ${seconds}${detail}\n`);
        return;
      }
      case "step-failed":
        clearLive();
        stream.write(live ? `${c.red("✗")} ${event.step}\n` : `${event.step}: failed\n`);
        if (live) for (const line of lastLines.slice(-8)) stream.write(`  ${c.dim(line)}\n`);
        return;
    }
  };
}

/** Steps rendered on the CLI's stream, with the reporter's names. */
export function createReporter(io: CliIO, stream: OutputStream = io.stderr): StepReporter {
  const steps = createSteps(renderSteps(io, stream));
  return { step: steps.run, note: steps.note };
}
