/**
 * Finds the line where a key of a TOML document is written, so errors can point at it. A best
 * effort over the text (smol-toml keeps no positions): it follows [table] and [[array]] headers
 * and dotted keys, and falls back to the closest enclosing table or key.
 */
export function findTomlLine(source: string, path: readonly string[]): number | undefined {
  const lines = source.split(/\r?\n/);
  let table: string[] = [];
  const arrayCounts = new Map<string, number>();
  let fallback: { line: number; depth: number } | undefined;
  const consider = (keys: string[], line: number): number | undefined => {
    if (!isPrefix(keys, path)) return undefined;
    if (keys.length === path.length) return line;
    if (!fallback || keys.length > fallback.depth) fallback = { line, depth: keys.length };
    return undefined;
  };

  // Lines inside a multi-line string ("""...""" or '''...''') are text, not keys or headers.
  let openString: string | undefined;
  for (const [index, raw] of lines.entries()) {
    const inString = openString !== undefined;
    openString = openMultilineString(raw, openString);
    if (inString) continue;
    const text = raw.trim();
    if (text === "" || text.startsWith("#")) continue;
    const header = /^(\[\[?)\s*(.+?)\s*\]\]?\s*(#.*)?$/.exec(text);
    if (header) {
      table = splitDottedKey(header[2]!);
      if (header[1] === "[[") {
        // An array of tables: its entries are addressed by index (volumes.0.name).
        const whole = consider(table, index + 1);
        if (whole) return whole;
        const arrayKey = table.join("\u0000");
        const position = arrayCounts.get(arrayKey) ?? 0;
        arrayCounts.set(arrayKey, position + 1);
        table = [...table, String(position)];
      }
      const found = consider(table, index + 1);
      if (found) return found;
      continue;
    }
    const assignment = /^((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=/.exec(text);
    if (assignment) {
      const found = consider([...table, ...splitDottedKey(assignment[1]!)], index + 1);
      if (found) return found;
    }
  }
  return fallback?.line;
}

function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((key, i) => key === path[i]);
}

function splitDottedKey(key: string): string[] {
  const parts: string[] = [];
  const pattern = /\s*("([^"]*)"|'([^']*)'|[A-Za-z0-9_-]+)\s*(\.|$)/y;
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < key.length && (match = pattern.exec(key))) {
    parts.push(match[2] ?? match[3] ?? match[1]!);
  }
  return parts;
}

/**
 * The delimiter of the multi-line string left open at the end of a line, given the one open at its
 * start. Single-line strings and comments are skipped so quotes inside them do not count.
 */
function openMultilineString(line: string, open: string | undefined): string | undefined {
  let i = 0;
  while (i < line.length) {
    if (open !== undefined) {
      if (line.startsWith(open, i)) {
        open = undefined;
        i += 3;
      } else {
        i += open === '"""' && line[i] === "\\" ? 2 : 1;
      }
      continue;
    }
    const char = line[i]!;
    if (char === "#") break;
    if (line.startsWith('"""', i) || line.startsWith("'''", i)) {
      open = line.slice(i, i + 3);
      i += 3;
    } else if (char === '"' || char === "'") {
      // A single-line string: skip to its closing quote (basic strings may escape one).
      i++;
      while (i < line.length && line[i] !== char) i += char === '"' && line[i] === "\\" ? 2 : 1;
      i++;
    } else {
      i++;
    }
  }
  return open;
}
