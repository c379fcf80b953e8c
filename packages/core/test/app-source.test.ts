import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appDirsOf, replaceAppSource } from "@hop3/core";

function staged(home: string, app: string, content: string): string {
  const dir = join(appDirsOf(home, app).appDir, `source.upload-${content}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "release.txt"), content);
  return dir;
}

describe("replaceAppSource", () => {
  it("puts a staged tree in place of the app's source, the first time and every time after, leaving nothing beside it", () => {
    const home = mkdtempSync(join(tmpdir(), "hop3-app-source-"));
    const { appDir, sourceDir } = appDirsOf(home, "blog");
    expect(replaceAppSource(home, "blog", staged(home, "blog", "v1"))).toBe(sourceDir);
    expect(readFileSync(join(sourceDir, "release.txt"), "utf8")).toBe("v1");
    replaceAppSource(home, "blog", staged(home, "blog", "v2"));
    expect(readFileSync(join(sourceDir, "release.txt"), "utf8")).toBe("v2");
    expect(readdirSync(appDir)).toEqual(["source"]);
  });

  it("takes only a tree beside the source directory (one file system, one rename)", () => {
    const home = mkdtempSync(join(tmpdir(), "hop3-app-source-"));
    const elsewhere = mkdtempSync(join(tmpdir(), "hop3-elsewhere-"));
    expect(() => replaceAppSource(home, "blog", elsewhere)).toThrow(/is not in/);
    expect(existsSync(elsewhere)).toBe(true);
  });
});
