import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { shellQuote } from "@hop3/core";

/** A small seeded generator (mulberry32): the same cases on every run, so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Everything a shell or an ini parser reads specially, plus multi-byte text and control characters.
const ALPHABET = [..."'\"`$\\%,;#&|<>(){}[]*?~!= \t\n\r\x01\x1b\x7f", "a", "Z", "0", "é", "日本", "🙂", "\u2028", "$(id)", "${HOME}", "'\\''", "%%", "\n[uwsgi]\n"];

function randomString(next: () => number): string {
  const length = Math.floor(next() * 24);
  let text = "";
  for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(next() * ALPHABET.length)];
  return text;
}

/** Exports each value with shellQuote and has a real /bin/sh print them back, NUL-separated. */
function roundTrip(values: readonly string[]): string[] {
  const script = [...values.map((value, i) => `export X${i}=${shellQuote(value)}`), `printf '%s\\0' ${values.map((_, i) => `"$X${i}"`).join(" ")}`].join("\n");
  const output = execFileSync("/bin/sh", ["-c", script], { encoding: "utf8" });
  return output.split("\0").slice(0, -1);
}

describe("shellQuote", () => {
  it("leaves plain words bare, single-quotes the rest, closing and escaping embedded quotes", () => {
    expect(shellQuote("plain")).toBe("plain");
    expect(shellQuote("/usr/bin/setpriv")).toBe("/usr/bin/setpriv");
    expect(shellQuote("--port=8000")).toBe("--port=8000");
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it("quotes what a shell would read as an assignment", () => {
    expect(shellQuote("FOO=bar")).toBe("'FOO=bar'");
    expect(shellQuote("-e=x")).toBe("-e=x");
  });

  it("round-trips awkward values through a real /bin/sh unchanged", () => {
    const values = ["", "'", "''", "\\", "$HOME", "`id`", "$(id)", "a\nb", "100%", "%d %(x)", "x\n[uwsgi]\nattach-daemon = touch /tmp/x", "\t lead and trail \t", "é 日本 🙂", "-n", "-e \\n"];
    expect(roundTrip(values)).toEqual(values);
  });

  it("round-trips 500 random strings through a real /bin/sh unchanged (seeded)", () => {
    const next = random(20240519);
    const values = Array.from({ length: 500 }, () => randomString(next));
    expect(values.some((value) => value.includes("'") && value.includes("\n"))).toBe(true); // the generator does reach the hard cases
    expect(roundTrip(values)).toEqual(values);
  });

  it("keeps a quoted command one word for `sh -c`, expanding its variables only when it runs", () => {
    const command = `printf '%s|%s' "$GREETING" 'it''s $NOT_EXPANDED'`;
    const output = execFileSync("/bin/sh", ["-c", `GREETING='a b'; export GREETING; exec /bin/sh -c ${shellQuote(command)}`], { encoding: "utf8" });
    expect(output).toBe("a b|its $NOT_EXPANDED");
  });
});
