/**
 * POSIX single-quote quoting: inside '...' the shell gives every byte its literal value, so
 * newlines, `$`, backquotes, `%`, `"` and `\` are inert. A quote is closed, escaped and reopened.
 * NUL cannot be represented (callers reject it first).
 */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
