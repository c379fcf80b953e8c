import { statSync } from "node:fs";
import { join } from "node:path";
import { findProgram, formatLastLines, Hop3Error, type AppSource, type Detection, type RequiredProgram, type RunOptions, type ToolchainBuildContext } from "@hop3/core";
import { localError, type LocalErrorCode } from "../errors.js";

/** What the built-in toolchains share: whether to reuse earlier installs. */
export interface ToolchainSettings {
  /** Reuse node_modules / virtualenvs of earlier releases when their inputs are unchanged (default true). */
  readonly reuse?: boolean;
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The common shape of a detection: hop3.toml `[build] toolchain` wins (naming this toolchain
 * detects it, naming another one rules it out), else the first marker file found.
 */
export function detectByFiles(app: AppSource, toolchain: string, markers: readonly string[]): Detection {
  const named = app.config.toolchain;
  const files = markers.filter((file) => isFile(join(app.dir, file)));
  if (named !== undefined && named !== toolchain) return { detected: false, files: [], reason: `hop3.toml [build] toolchain is "${named}"` };
  if (named === toolchain) return { detected: true, files, reason: `named by hop3.toml [build] toolchain${files.length ? ` (${files.join(", ")} found)` : ""}` };
  if (files.length > 0) return { detected: true, files, reason: `${files.join(" and ")} found` };
  return { detected: false, files: [], reason: `no ${markers.join(" or ")}` };
}

/** The absolute path of a program on the build's PATH, or LOCAL_TOOL_MISSING with how to install it. */
export function requireTool(program: string, context: ToolchainBuildContext, toolchain: string, install: string): string {
  const found = findProgram(program, context.env);
  if (found) return found;
  throw toolMissing(context.app.name, toolchain, { name: program, install }, context.env.PATH ?? "");
}

/** LOCAL_TOOL_MISSING: a program a toolchain runs is not on the build's PATH (at build, or before it: see previewBuild). */
export function toolMissing(app: string, toolchain: string, program: RequiredProgram, path: string): Hop3Error {
  return localError("LOCAL_TOOL_MISSING", `"${app}" needs ${program.name} (${toolchain} toolchain), and ${program.name} was not found on PATH.`, {
    hint: `${program.install} Then make sure ${program.name} is on the PATH of the user running Hop3, in a directory every user may enter (builds run as the app's own user: a program under /root is not found), or set PATH in the Local builder's \`env\` option.`,
    details: { app, toolchain, program: program.name, path },
  });
}

/**
 * Runs one step of a build in the release directory; a failed command becomes `code` with the
 * command's last lines, a missing program LOCAL_TOOL_MISSING. Time-outs and cancellation keep
 * core's codes.
 */
export async function runStep(
  context: ToolchainBuildContext,
  code: Extract<LocalErrorCode, "LOCAL_INSTALL_FAILED" | "LOCAL_BUILD_FAILED">,
  what: string,
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<void> {
  try {
    await context.run(file, args, { cwd: context.buildDir, purpose: what, ...options });
  } catch (error) {
    if (!Hop3Error.is(error)) throw error;
    const lastLines = (error.details.lastLines as string[] | undefined) ?? [];
    if (error.code === "COMMAND_FAILED") {
      const exit = error.details.exitCode;
      const shown = file === "sh" && args[0] === "-c" ? "it" : `\`${[file, ...args].join(" ")}\``;
      throw localError(code, `${what} failed for "${context.app.name}" (${shown} exited with code ${exit ?? "?"}).${formatLastLines(lastLines)}`, {
        cause: error,
        details: { ...error.details, app: context.app.name },
      });
    }
    if (error.code === "COMMAND_NOT_FOUND") {
      throw localError("LOCAL_TOOL_MISSING", `${what} needs ${file}, which is not installed or not on PATH.`, { cause: error, details: error.details });
    }
    throw error;
  }
}
