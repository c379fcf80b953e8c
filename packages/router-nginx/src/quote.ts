/**
 * Paths written into nginx configuration. nginx has no escape that is safe everywhere (`$` starts
 * a variable even inside quotes, `\` escapes differ between directives), so instead of escaping,
 * any character that could end a string, start a variable or a block, or add a directive is
 * refused, and what is left goes between double quotes.
 */

// Quotes, `;`, braces, `$`, backslash, and every control character (newline, tab, DEL...).
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const UNSAFE = /["'`;{}$\\\u0000-\u001f\u007f]/;

/** The first character nginx cannot take safely in a quoted path, or undefined when there is none. */
export function unsafeCharacter(value: string): string | undefined {
  return UNSAFE.exec(value)?.[0];
}

/** A character as a person can read it in an error message (`"\n"` rather than a line break). */
export const describeCharacter = (character: string): string => JSON.stringify(character);

/** Puts a path already checked with `unsafeCharacter` between double quotes. */
export function quote(value: string): string {
  const bad = unsafeCharacter(value);
  if (bad !== undefined) throw new Error(`internal: unchecked path ${JSON.stringify(value)} reached the nginx renderer`);
  return `"${value}"`;
}
