/** One line printed by a command Hop3 ran, as build progress. */
export interface OutputLine {
  readonly stream: "stdout" | "stderr";
  readonly text: string;
}

/**
 * Where builders, toolchains and deployers report what they do. The CLI renders it (a live step
 * list on a terminal, plain lines otherwise); tests collect it.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
  /** A line of a running command's output: build progress. */
  output(line: OutputLine): void;
}

/** A logger that drops everything, the default when nobody listens. */
export const silentLogger: Logger = Object.freeze({
  info() {},
  warn() {},
  debug() {},
  output() {},
});

/** A logger that keeps every entry in memory, for tests and for `--json` reports. */
export interface MemoryLogger extends Logger {
  readonly entries: ReadonlyArray<{ level: "info" | "warn" | "debug" | "output"; text: string }>;
}

export function createMemoryLogger(): MemoryLogger {
  const entries: Array<{ level: "info" | "warn" | "debug" | "output"; text: string }> = [];
  return {
    entries,
    info: (text) => void entries.push({ level: "info", text }),
    warn: (text) => void entries.push({ level: "warn", text }),
    debug: (text) => void entries.push({ level: "debug", text }),
    output: (line) => void entries.push({ level: "output", text: line.text }),
  };
}
