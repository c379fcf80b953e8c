import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Makes an app directory with the given files (path -> content) under a fresh temp dir. */
export function makeApp(files: Record<string, string>, name = "demo-app"): string {
  const dir = join(mkdtempSync(join(tmpdir(), "hop3-core-")), name);
  mkdirSync(dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** Runs something expected to throw, and returns what it threw. Core keeps its own copy: the shared
 * test helpers depend on core, so core's tests cannot depend on them. */
export async function caught(action: () => unknown): Promise<{ code: string; message: string; hint: string; details: Record<string, unknown> }> {
  try {
    await action();
  } catch (error) {
    return error as never;
  }
  throw new Error("expected an error, none was thrown");
}
