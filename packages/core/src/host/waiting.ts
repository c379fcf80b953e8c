import { coreError } from "../error-codes.js";

/** How a wait ends early. */
export interface WaitOptions {
  /** Ends the wait: it rejects with `cancelled()`. */
  readonly signal?: AbortSignal;
  /** The error a cancelled wait rejects with (a plugin's own *_CANCELLED); COMMAND_CANCELLED by default. */
  readonly cancelled?: () => Error;
}

const commandCancelled = () => coreError("COMMAND_CANCELLED", "The operation was cancelled before it finished.");

/** Throws the wait's cancellation error when its signal has fired. */
export function throwIfCancelled(options: WaitOptions = {}): void {
  if (options.signal?.aborted) throw (options.cancelled ?? commandCancelled)();
}

/** Waits `ms`, or rejects as soon as `options.signal` fires. */
export function sleep(ms: number, options: WaitOptions = {}): Promise<void> {
  const { signal } = options;
  try {
    throwIfCancelled(options);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject((options.cancelled ?? commandCancelled)());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** How long and how often `waitUntil` checks. */
export interface WaitUntilOptions extends WaitOptions {
  readonly timeoutMs: number;
  /** Between checks (default 25 ms). */
  readonly pollMs?: number;
}

/**
 * Checks until `check` returns something other than undefined or false, and returns it; returns
 * undefined once `timeoutMs` passed (the caller raises its own coded timeout). The check runs at
 * least once, and once more at the deadline.
 */
export async function waitUntil<T>(check: () => T | undefined | false | Promise<T | undefined | false>, options: WaitUntilOptions): Promise<T | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    throwIfCancelled(options);
    const found = await check();
    if (found !== undefined && found !== false) return found;
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    await sleep(Math.min(options.pollMs ?? 25, left), options);
  }
}
