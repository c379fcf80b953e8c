import type { Hop3Error } from "@hop3/core";
import { nixError } from "./errors.js";

/** What a failed nix command left behind, as the classifier needs it. */
export interface NixFailure {
  /** Everything the command printed on stderr (nix prints its errors and the build log there). */
  readonly stderr: string;
  readonly exitCode: number;
  /** The app, for messages. */
  readonly appName: string;
  /** Which command failed: the build of `package`, or the evaluation of `env`. */
  readonly step: "build" | "env";
}

/** One `error:` paragraph of nix's output: the error line and the lines that explain it. */
export interface NixErrorBlock {
  /** The line as nix printed it, starting with `error: `. */
  readonly line: string;
  /** The location block, the source excerpt and `last N log lines` that follow it. */
  readonly context: readonly string[];
  /** `at FILE:LINE:COLUMN:` when nix gave one. */
  readonly location?: { readonly file: string; readonly line: number; readonly column: number };
}

// Colour codes appear only when stderr is a terminal, which it never is here; strip them anyway.
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
const BUILDER_FAILED = /^error: builder for '(\/nix\/store\/[^']+\.drv)' failed/;
// nix 2.8 says "error: building of '/nix/store/...drv!out' from .drv file timed out after 1 seconds".
const BUILDER_TIMED_OUT = /^error: (builder for|building of) '[^']+'.* timed out after/;
// Evaluation runs with restrict-eval: "error: access to absolute path '/etc/shadow' is forbidden in
// restricted mode" (a link is reported by its target, as a "canonical path"), or "access to URI '...'".
const RESTRICTED_ACCESS = /^error: access to (absolute path|canonical path|URI) '(.+)' is forbidden in restricted mode/;
// A client that may not use the daemon: its socket is closed to it, refused, or the daemon's allowed-users says no.
const DAEMON_UNREACHABLE = /^error: (cannot connect to socket at '[^']+'|cannot open connection to remote store|user '[^']+' is not allowed to connect to the Nix daemon)/;
const DEPENDENCIES_FAILED = /^error: \d+ dependencies of derivation '[^']+' failed to build/;
const NIX_PROGRESS = [
  /^these \d+ derivations will be built:$/,
  /^this derivation will be built:$/,
  /^these \d+ paths will be fetched .*:$/,
  /^this path will be fetched .*:$/,
  /^ {2}\/nix\/store\/\S+$/,
  /^building '\/nix\/store\/[^']+'\.\.\.$/,
  /^copying path '\/nix\/store\/[^']+' from '.*'\.\.\.$/,
];

/** Splits nix's stderr into lines without colour codes or trailing blanks. */
export const stderrLines = (stderr: string): string[] => stderr.replace(ANSI, "").split(/\r?\n/).map((line) => line.trimEnd());

/** Every `error:` paragraph, in order. */
export function findErrorBlocks(lines: readonly string[]): NixErrorBlock[] {
  const blocks: NixErrorBlock[] = [];
  lines.forEach((line, index) => {
    if (!line.startsWith("error: ")) return;
    const indented: string[] = [];
    for (const next of lines.slice(index + 1)) {
      if (next.startsWith("error: ") || (next !== "" && !next.startsWith(" "))) break;
      if (next.trim() === "" || next.includes("use '--show-trace'")) continue;
      indented.push(next);
    }
    // Drop nix's common indentation only, so the caret under the source excerpt stays aligned.
    const margin = Math.min(...indented.map((text) => text.length - text.trimStart().length));
    const context = indented.map((text) => text.slice(margin));
    const at = context.map((text) => /^at (.+):(\d+):(\d+):$/.exec(text)).find(Boolean);
    blocks.push({
      line,
      context,
      ...(at && { location: { file: at[1]!, line: Number(at[2]), column: Number(at[3]) } }),
    });
  });
  return blocks;
}

/** The last lines the builder itself printed before nix reported the failure (nix's progress lines left out). */
export function buildLogTail(lines: readonly string[], count = 15): string[] {
  const end = lines.findIndex((line) => BUILDER_FAILED.test(line) || DEPENDENCIES_FAILED.test(line));
  return lines
    .slice(0, end < 0 ? lines.length : end)
    .filter((line) => line.trim() !== "" && !NIX_PROGRESS.some((pattern) => pattern.test(line)))
    .slice(-count);
}

const indent = (lines: readonly string[]) => lines.map((line) => `  ${line}`).join("\n");

/**
 * Turns a failed nix-build or nix-instantiate into the coded error a user can act on. The message
 * always carries nix's own `error:` paragraph; a build failure also carries the tail of the log,
 * where the builder said what went wrong.
 */
export function classifyNixFailure(failure: NixFailure): Hop3Error {
  const lines = stderrLines(failure.stderr);
  const blocks = findErrorBlocks(lines);
  const warnings = lines.filter((line) => line.startsWith("warning: "));
  const app = `"${failure.appName}"`;
  const details = (block: NixErrorBlock | undefined, extra: Record<string, unknown> = {}) => ({
    app: failure.appName,
    step: failure.step,
    exitCode: failure.exitCode,
    // Through the daemon, nix ends a builder's failure line with ";" and its own excerpt of the log.
    errorLine: block?.line.replace(/;$/, ""),
    ...(block?.location && { location: block.location }),
    ...(warnings.length > 0 && { warnings }),
    ...extra,
  });
  const quote = (block: NixErrorBlock) => indent([block.line, ...block.context]);

  const syntax = blocks.find((block) => block.line.startsWith("error: syntax error, "));
  if (syntax) {
    return nixError("NIX_SYNTAX_ERROR", `hop3.nix of ${app} is not valid Nix:\n${quote(syntax)}`, { details: details(syntax) });
  }

  const forbidden = blocks.map((block) => ({ block, access: RESTRICTED_ACCESS.exec(block.line) })).find((found) => found.access);
  if (forbidden?.access) {
    const [, kind, target] = forbidden.access;
    const uri = kind === "URI";
    const what = uri ? `fetches ${target}, a URL` : `reads ${target}, a path outside the app and the Nix search path`;
    return nixError("NIX_ACCESS_FORBIDDEN", `hop3.nix of ${app} ${what}, which its evaluation may not ${uri ? "fetch" : "read"}:\n${quote(forbidden.block)}`, {
      ...(uri && {
        hint: `Evaluation may fetch only URLs that \`allowed-uris\` allows: add a prefix of ${target} to hop3.toml [nix] options (allowed-uris = "https://..."), or have whoever runs Hop3 add it to the builder's options.`,
      }),
      details: details(forbidden.block, { [uri ? "uri" : "path"]: target! }),
    });
  }

  const daemon = blocks.find((block) => DAEMON_UNREACHABLE.test(block.line));
  if (daemon) {
    return nixError("NIX_DAEMON_UNAVAILABLE", `The Nix commands of ${app} run as its own user and could not reach the Nix daemon:\n${quote(daemon)}`, {
      details: details(daemon),
    });
  }

  const noPackage = blocks.find((block) => block.line.startsWith("error: attribute 'package' in selection path 'package' not found"));
  if (noPackage && failure.step === "build") {
    return nixError("NIX_PACKAGE_ATTRIBUTE_MISSING", `hop3.nix of ${app} has no "package" attribute:\n${quote(noPackage)}`, {
      details: details(noPackage),
    });
  }

  const noFile = blocks.find((block) => /^error: getting status of '[^']*\/hop3\.nix': No such file or directory/.test(block.line));
  if (noFile) {
    return nixError("NIX_FILE_MISSING", `hop3.nix of ${app} disappeared before nix could read it:\n${quote(noFile)}`, {
      details: details(noFile),
    });
  }

  const timedOut = blocks.find((block) => BUILDER_TIMED_OUT.test(block.line));
  if (timedOut) {
    return nixError("NIX_BUILD_TIMEOUT", `The Nix build of ${app} was stopped by Nix's own time limit:\n${quote(timedOut)}`, {
      hint: "Raise or remove the Nix `timeout` setting (hop3.toml [nix] options or the builder's options), or find out why the build hangs.",
      details: details(timedOut),
    });
  }

  // The first failed builder is the cause; "N dependencies ... failed to build" lines only follow from it.
  const built = blocks.find((block) => BUILDER_FAILED.test(block.line)) ?? blocks.find((block) => DEPENDENCIES_FAILED.test(block.line));
  if (built || (blocks.length === 0 && failure.step === "build")) {
    const tail = buildLogTail(lines);
    const head = built ? quote(built) : `  nix-build exited with code ${failure.exitCode} without an error line.`;
    const quoted = built?.context.some((line) => /^last \d+ log lines:$/.test(line)) ?? false;
    const log = tail.length > 0 && !quoted ? `\nLast lines of the build log:\n${indent(tail)}` : "";
    const drv = built ? BUILDER_FAILED.exec(built.line)?.[1] : undefined;
    return nixError("NIX_BUILD_FAILED", `nix-build could not build the package of ${app}:\n${head}${log}`, {
      ...(drv && { hint: `Read the build log lines shown; fix the build and deploy again. \`nix log ${drv}\` shows the whole log.` }),
      details: details(built, { logTail: tail, ...(drv && { drv }) }),
    });
  }

  const last = blocks.at(-1);
  const what = failure.step === "env" ? `the "env" attribute of hop3.nix of ${app}` : `hop3.nix of ${app}`;
  const body = last ? quote(last) : indent(lines.filter((line) => line.trim() !== "").slice(-10));
  const warned = warnings.length > 0 ? `\nNix also warned:\n${indent(warnings)}` : "";
  const searchPath = last?.line.includes("was not found in the Nix search path");
  return nixError("NIX_EVALUATION_ERROR", `Nix could not evaluate ${what}:\n${body}${warned}`, {
    ...(searchPath && {
      hint: "The expression imports a path such as <nixpkgs> that is not in the Nix search path: set NIX_PATH for the user running Hop3 (to a directory the app's user can read, such as a /nix/store path), or add an entry to hop3.toml [nix] include (e.g. \"nixpkgs=./vendor/nixpkgs\", inside the app).",
    }),
    details: details(last),
  });
}
