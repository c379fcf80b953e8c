import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { caught } from "@hop3/test-support";

export { caught };

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

