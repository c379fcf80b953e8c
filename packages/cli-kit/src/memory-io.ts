import type { CliIO } from "@hop3/core/cli";

/** A CliIO whose streams are strings: for driving a program or a command in-process, in tests. */
export function memoryIO(cwd = "/", env: Readonly<Record<string, string | undefined>> = {}): CliIO & { out(): string; err(): string } {
  let out = "";
  let err = "";
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env,
    cwd,
    signal: new AbortController().signal,
    out: () => out,
    err: () => err,
  };
}
