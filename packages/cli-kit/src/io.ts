import type { CliIO, OutputStream } from "@hop3/core/cli";

export type { CliIO, OutputStream };

/**
 * The process's own streams and environment. The first SIGINT, SIGTERM or SIGHUP aborts `signal`:
 * the command stops its programs, cleans up and ends in a `*_CANCELLED` error (exit 1). The
 * handlers stay installed (with `once`, a signal listener left by a library re-raised the signal and
 * killed Hop3 before any cleanup); a second signal exits at once, 128 + its number.
 */
export function processIO(): CliIO {
  const controller = new AbortController();
  const numbers = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
  for (const [signal, number] of Object.entries(numbers)) {
    process.on(signal, () => {
      if (!controller.signal.aborted) controller.abort(new Error(`Cancelled by ${signal}.`));
      else process.exit(128 + number);
    });
  }
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signal: controller.signal };
}

/** Colors only on a terminal, and never with NO_COLOR. */
export function colors(stream: OutputStream, env: CliIO["env"]) {
  const on = Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== "dumb";
  const wrap = (open: number, close: number) => (text: string) => (on ? `\u001b[${open}m${text}\u001b[${close}m` : text);
  return { enabled: on, bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
}
