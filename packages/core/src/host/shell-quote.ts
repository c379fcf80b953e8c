/**
 * A word as a POSIX shell reads it back: bare when it holds only characters no shell treats
 * specially (and cannot be read as an assignment, `NAME=...`), else in single quotes, where every
 * byte keeps its literal value (newlines, `$`, backquotes, `\`); a quote inside is closed, escaped
 * and reopened. NUL cannot be represented (callers refuse it first).
 */
export function shellQuote(word: string): string {
  const bare = /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word);
  return bare ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
