import type { CliIO, OutputStream } from "@hop3/core";

export type { CliIO, OutputStream };

/** The process's own streams, environment and directory; its signal is aborted on Ctrl-C or SIGTERM. */
export function processIO(): CliIO {
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  process.once("SIGTERM", () => controller.abort());
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signal: controller.signal };
}

/** Colors only on a terminal, and never with NO_COLOR. */
export function colors(stream: OutputStream, env: CliIO["env"]) {
  const on = Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== "dumb";
  const wrap = (open: number, close: number) => (text: string) => (on ? `\u001b[${open}m${text}\u001b[${close}m` : text);
  return { enabled: on, bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
}
