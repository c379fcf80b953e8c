import { createHash } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

/** The fixtures' HTTP server: prints `hello from NAME` and the variables asked with --show-env. */
export const SERVER_PY = resolve(import.meta.dirname, "../../../test-fixtures/apps/nix-web/server.py");

/** A web worker that serves and shows $MSG, for runtime.json. */
export const showMsgWorker = (name: string) => `exec /usr/bin/python3 ${SERVER_PY} --name ${name} --show-env MSG --host $BIND_ADDRESS --port $PORT`;

/** The files of a case app; a string or bytes is written as is, an object as JSON, undefined leaves a default out. */
export type CaseFiles = Partial<Record<"hop3.nix" | "runtime.json" | "hop3.toml" | "Procfile", string | Uint8Array | object | undefined>>;

/**
 * A builtins-only Nix app (no <nixpkgs>) in `parent/name`: its hop3.nix copies runtime.json into
 * $out/hop3, so each file can be made hostile on its own. Defaults: one web worker showing $MSG.
 */
export function writeCaseApp(parent: string, name: string, files: CaseFiles): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  const all: CaseFiles = {
    "runtime.json": { workers: { web: showMsgWorker(name) } },
    "hop3.nix":
      `{ package = builtins.derivation { name = "${name}"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin";\n` +
      `  args = [ "-c" "mkdir -p $out/hop3 && cp \${./runtime.json} $out/hop3/runtime.json" ]; }; }\n`,
    ...files,
  };
  for (const [file, content] of Object.entries(all)) {
    if (content === undefined) continue;
    writeFileSync(join(dir, file), typeof content === "string" || content instanceof Uint8Array ? content : JSON.stringify(content));
  }
  return dir;
}

/**
 * What comes and goes on its own while the server runs: logs (serving writes them, the schedule
 * rotates them) and the lock of the schedule's `server maintain`, taken every minute.
 */
const SCHEDULED = /(\.log(\.\d+)?|^maintain\.lock)$/;

/**
 * Every file, link, socket and directory under `home` but those under `except` (relative paths),
 * with a digest of what a file holds. What the schedule writes is left out (SCHEDULED).
 */
export function snapshotTree(home: string, except: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      const rel = relative(home, path);
      if (except.some((skip) => rel === skip || rel.startsWith(`${skip}/`)) || SCHEDULED.test(rel)) continue;
      const stat = lstatSync(path);
      if (stat.isDirectory()) {
        out[rel] = "dir";
        walk(path);
      } else if (stat.isSymbolicLink()) out[rel] = `-> ${readlinkSync(path)}`;
      else if (stat.isFile()) out[rel] = createHash("sha1").update(readFileSync(path)).digest("hex");
      else out[rel] = "special";
    }
  };
  if (existsSync(home)) walk(home);
  return out;
}

/**
 * A temp directory that must stay as the suite made it: HOP3_HOME and the case apps live inside.
 * App users must pass through it to reach their directories under HOP3_HOME.
 */
export function makeRoot(tmp: string): string {
  const root = mkdtempSync(join(tmp, "hop3-hostile-"));
  chmodSync(root, 0o711);
  return root;
}
