import { sshAccessError } from "./errors.js";

/** Characters a word may hold outside quotes: those no shell treats specially (core's shellQuote leaves them bare). */
const PLAIN = /[A-Za-z0-9_@%+=:,./-]/;

/**
 * Splits a command line as a POSIX shell would, for the few forms a shell reads without running
 * anything: plain words, '...' (literal), "..." (with \" and \\), and \ before a character outside
 * quotes. Everything else a shell would act on (`;`, `|`, `&`, `$`, backquotes, redirections,
 * globs, `~`, `#`, newlines outside quotes, unbalanced quotes) is SSH_COMMAND_REFUSED: the line is
 * refused, not cleaned, so what runs is exactly what the sender's shell quoting meant.
 */
export function parseShellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const refuse = (what: string): never => {
    throw sshAccessError("SSH_COMMAND_REFUSED", `The command line holds ${what} (at character ${i + 1}); only plain and quoted words are run.`, { details: { line: line.slice(0, 200) } });
  };
  while (i < line.length) {
    const c = line[i]!;
    if (c === " " || c === "\t") {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) refuse("an unbalanced '");
      word = (word ?? "") + line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let text = "";
      i++;
      for (;;) {
        if (i >= line.length) refuse('an unbalanced "');
        const d = line[i]!;
        if (d === '"') break;
        if (d === "$" || d === "`") refuse(`${JSON.stringify(d)} inside double quotes`);
        if (d === "\\") {
          const next = line[i + 1];
          if (next === '"' || next === "\\") {
            text += next;
            i += 2;
            continue;
          }
          refuse("a backslash inside double quotes before anything but \" or \\");
        }
        text += d;
        i++;
      }
      word = (word ?? "") + text;
      i++;
    } else if (c === "\\") {
      const next = line[i + 1];
      if (next === undefined || next === "\n") refuse("a backslash at the end of a line");
      word = (word ?? "") + next;
      i += 2;
    } else if (PLAIN.test(c)) {
      word = (word ?? "") + c;
      i++;
    } else {
      refuse(c === "\n" ? "a newline" : `${JSON.stringify(c)} outside quotes`);
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
