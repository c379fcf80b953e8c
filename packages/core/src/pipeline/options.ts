import type { StepSink } from "./events.js";

/** What every operation of the pipeline takes besides its own arguments. */
export interface PipelineOptions {
  /** Receives the operation's progress as typed events (steps, their output, notes). Default: dropped. */
  readonly onStep?: StepSink;
  /** Abort it to cancel: running programs are stopped. */
  readonly signal?: AbortSignal;
}

export const signalOf = (options: PipelineOptions): AbortSignal => options.signal ?? new AbortController().signal;
