import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeFileAtomic, writeJsonAtomic } from "@hop3/core";

describe("writeFileAtomic", () => {
  it("creates the directory, writes the content with the mode, and leaves no temporary file", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "hop3-fs-")), "deep", "er");
    writeFileAtomic(join(dir, "a.conf"), "first\n", 0o600);
    writeFileAtomic(join(dir, "a.conf"), "second\n", 0o600);
    expect(readFileSync(join(dir, "a.conf"), "utf8")).toBe("second\n");
    expect(statSync(join(dir, "a.conf")).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["a.conf"]);
  });

  it("writes JSON with a trailing newline", () => {
    const file = join(mkdtempSync(join(tmpdir(), "hop3-fs-")), "state.json");
    writeJsonAtomic(file, { a: 1 });
    expect(readFileSync(file, "utf8")).toBe('{\n  "a": 1\n}\n');
  });
});
