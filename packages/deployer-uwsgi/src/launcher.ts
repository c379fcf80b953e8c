import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "@hop3/core";
import { uwsgiError } from "./errors.js";
import { shellQuote } from "./shell.js";
import { checkVariable } from "./worker-env.js";

/** What one worker instance runs, and how. */
export interface LauncherSpec {
  readonly app: string;
  readonly worker: string;
  readonly index: number;
  /** The worker's command, run by `/bin/sh -c` so `$PORT` and the app's variables expand at run time. */
  readonly command: string;
  /** The merged environment (see mergeWorkerEnv). */
  readonly env: Readonly<Record<string, string>>;
  /** Directories put in front of PATH, first wins. */
  readonly pathPrepend: readonly string[];
  readonly workingDir: string;
  /** Where the launcher writes its pid; uWSGI made it a session leader, so it is also the process group. */
  readonly pidFile: string;
}

/**
 * Renders the shell script a vassal runs for one worker instance. Every user value (variables,
 * command, directories) is single-quoted here, so none of it can reach the vassal file, and a
 * newline, `$`, `%` or quote in a value arrives in the process verbatim.
 */
export function renderLauncher(spec: LauncherSpec): string {
  if (spec.command.includes("\0")) {
    throw uwsgiError("UWSGI_ENV_VALUE_INVALID", `The command of worker "${spec.worker}" contains a NUL character.`, { details: { worker: spec.worker } });
  }
  for (const [name, value] of Object.entries(spec.env)) checkVariable(name, value, `The environment of worker "${spec.worker}"`);
  const lines = [
    "#!/bin/sh",
    `# Written by @hop3/deployer-uwsgi for app ${spec.app}, worker ${spec.worker}, instance ${spec.index}.`,
    "# Rewritten on every deploy: change the app, not this file.",
    // The emperor tells its vassals about itself through UWSGI_* variables; a worker that runs
    // uWSGI itself would take them as its own and believe it is a vassal.
    "for hop3_name in $(env | sed -n 's/^\\(UWSGI_[A-Za-z0-9_]*\\)=.*/\\1/p'); do unset \"$hop3_name\"; done; unset hop3_name",
    ...Object.entries(spec.env).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
  ];
  if (spec.pathPrepend.length > 0) lines.push(`export PATH=${shellQuote(spec.pathPrepend.join(":"))}"\${PATH:+:\$PATH}"`);
  lines.push(
    `echo $$ > ${shellQuote(spec.pidFile)}`,
    `cd ${shellQuote(spec.workingDir)} || exit 1`,
    `exec /bin/sh -c ${shellQuote(spec.command)}`,
    "",
  );
  return lines.join("\n");
}

/** Writes a launcher atomically, readable and runnable by its owner only (it holds the app's secrets); true when it changed. */
export function writeLauncher(path: string, spec: LauncherSpec): boolean {
  const content = renderLauncher(spec);
  if (existsSync(path) && readFileSync(path, "utf8") === content) return false;
  writeFileAtomic(path, content, 0o700);
  return true;
}
