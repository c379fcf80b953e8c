import { uwsgiError } from "./errors.js";

/**
 * Characters a path may hold to go into a vassal file. uWSGI reads `%` (placeholders), `$(...)`
 * (environment), `@(...)` (file inclusion), `,` (attach-daemon2 keys) and newlines (a new
 * directive) specially: an allow-list leaves none of those possible except `%`, which is doubled.
 */
const SAFE_PATH = /^[A-Za-z0-9_./+@:~%-]+$/;

/** Checks that a path can be written into a vassal file, without raising. */
export const isIniSafePath = (path: string): boolean => SAFE_PATH.test(path);

/**
 * Returns a path escaped for an ini value (`%` doubled), or raises UWSGI_PATH_UNSAFE naming the
 * first character that could change the meaning of the file. No user value goes through here:
 * only paths made of HOP3_HOME and validated names.
 */
export function iniPath(path: string, what: string): string {
  if (!SAFE_PATH.test(path)) {
    const bad = [...path].find((char) => !SAFE_PATH.test(char)) ?? "";
    throw uwsgiError("UWSGI_PATH_UNSAFE", `${what} ${JSON.stringify(path)} contains ${describeChar(bad)}, which uWSGI configuration cannot hold safely.`, {
      details: { path, character: bad },
    });
  }
  return path.replaceAll("%", "%%");
}

function describeChar(char: string): string {
  if (char === "") return "nothing (it is empty)";
  if (char === "\n") return "a newline";
  if (char === "\r") return "a carriage return";
  if (char === " ") return "a space";
  if (char === "\t") return "a tab";
  const code = char.codePointAt(0) ?? 0;
  return code < 0x20 || code === 0x7f ? `the control character U+${code.toString(16).padStart(4, "0")}` : `"${char}"`;
}
