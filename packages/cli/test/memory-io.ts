import type { CliIO } from "@hop3/cli";

/** A CliIO whose streams are strings, for driving the CLI in-process. */
export function memoryIO(cwd: string, env: Record<string, string | undefined> = {}): CliIO & { out(): string; err(): string } {
  let out = "";
  let err = "";
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env: { ...process.env, ...env },
    cwd,
    signal: new AbortController().signal,
    out: () => out,
    err: () => err,
  };
}
