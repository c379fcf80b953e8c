import { existsSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gcRootPath, gcRootsDir, removeGcRoot } from "../src/gc-roots.js";
import { tempDir } from "./helpers.js";

describe("GC root links", () => {
  it("live under the app's state directory, one per release", () => {
    expect(gcRootPath("/h/apps/web", "20250101T000000Z-ab12")).toBe("/h/apps/web/nix/gcroots/20250101T000000Z-ab12");
  });

  it.each(["../x", "a/b", "", ".hidden"])("refuses a release id that is not a plain file name: %j", (id) => {
    expect(() => gcRootPath("/h/apps/web", id)).toThrow("not a safe file name");
  });

  it("removes only a symlink inside the app's own GC roots directory", () => {
    const state = tempDir();
    mkdirSync(gcRootsDir(state), { recursive: true });
    const link = join(gcRootsDir(state), "r1");
    symlinkSync("/nix/store/xvhnvkqhp0aagb60bq83vq9f54brf0w3-nix-env", link);
    const outside = join(state, "elsewhere");
    symlinkSync("/tmp", outside);
    const file = join(gcRootsDir(state), "a-file");
    writeFileSync(file, "");

    expect(removeGcRoot(outside, state)).toBe(false);
    expect(removeGcRoot(file, state)).toBe(false);
    expect(removeGcRoot(join(gcRootsDir(state), "..", "..", "elsewhere"), state)).toBe(false);
    expect(lstatSync(outside).isSymbolicLink()).toBe(true);
    expect(existsSync(file)).toBe(true);

    expect(removeGcRoot(link, state)).toBe(true);
    expect(() => lstatSync(link)).toThrow();
    expect(removeGcRoot(link, state)).toBe(false);
  });
});
