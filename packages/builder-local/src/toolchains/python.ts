import { createHash } from "node:crypto";
import { join } from "node:path";
import { findProgram, Hop3Error, readAppFile, type LanguageToolchain, type ToolchainBuildContext, type ToolchainContribution } from "@hop3/core";
import { lstatOrUndefined, SYSTEM_PATH } from "../app-files.js";
import { cacheOf } from "../cache.js";
import { localError } from "../errors.js";
import { detectByFiles, isFile, requireTool, runStep, type ToolchainSettings } from "./shared.js";

const INSTALL_PYTHON = "Install Python 3 and its venv module: on Debian or Ubuntu `apt-get install python3 python3-venv`.";
/** The record (root's, in the cache's records) that a cached virtualenv was fully installed. */
const completeRecord = (name: string): string => `${name}.complete`;

/**
 * Python: a virtualenv, then `pip install -r requirements.txt`, `pip install .` (pyproject.toml)
 * or `uv sync --frozen` (uv.lock, when uv is installed). A virtualenv is not relocatable, so for a
 * plain requirements.txt it lives in the app's cache (`<app>/cache/python/venv-<key>`), keyed by
 * the requirements and the Python version, and an unchanged rebuild reuses it; the release gets a
 * `.venv` symlink to it. pip's and uv's download caches are in `<app>/cache/python` too.
 */
export function createPythonToolchain(settings: ToolchainSettings = {}): LanguageToolchain {
  return {
    apiVersion: 1,
    name: "python",
    programs: [{ name: "python3", install: INSTALL_PYTHON }],
    description: "Python: virtualenv + pip (requirements.txt, pyproject.toml) or uv (uv.lock)",
    priority: 10,
    detect: (app) => detectByFiles(app, "python", ["requirements.txt", "pyproject.toml"]),
    build: (context) => buildPython(context, settings.reuse ?? true),
  };
}

async function buildPython(context: ToolchainBuildContext, reuse: boolean): Promise<ToolchainContribution> {
  const { buildDir, logger } = context;
  const cache = cacheOf(context, "python");
  const python = requireTool("python3", context, "python", INSTALL_PYTHON);
  const requirements = join(buildDir, "requirements.txt");
  const hasRequirements = isFile(requirements);
  const hasPyproject = isFile(join(buildDir, "pyproject.toml"));

  if (isFile(join(buildDir, "uv.lock")) && hasPyproject) {
    const uv = findProgram("uv", context.env);
    if (uv) {
      const venv = join(buildDir, ".venv");
      logger.info("uv.lock found: uv sync --frozen.");
      const uvEnv = { UV_PROJECT_ENVIRONMENT: venv, ...(!context.env.UV_CACHE_DIR && { UV_CACHE_DIR: cache.entry("python", "uv") }) };
      await runStep(context, "LOCAL_INSTALL_FAILED", "uv sync", uv, ["sync", "--frozen"], { env: uvEnv });
      return contribution(venv);
    }
    logger.warn("uv.lock found, and uv is not installed: installing with pip instead.");
  }

  // Root reads what the app's earlier build steps may have replaced: never through a link out of the release.
  const requirementsText = hasRequirements ? readAppFile(buildDir, requirements) : "";
  const cacheable = reuse && hasRequirements && !refersToLocalFiles(requirementsText);
  let venv = join(buildDir, ".venv");
  let cached: string | undefined;
  if (cacheable) {
    const version = (await context.run(python, ["-c", "import sys; print(sys.version)"], { cwd: buildDir })).stdout.trim();
    cached = `venv-${createHash("sha256").update(version).update("\0").update(requirementsText).digest("hex").slice(0, 16)}`;
    venv = cache.path("python", cached);
    if (cache.readRecord("python", completeRecord(cached)) !== undefined && cache.hasEntry("python", cached)) {
      logger.info(`requirements.txt unchanged: reusing the virtualenv ${venv}.`);
      await linkVenv(context, venv);
      return contribution(venv);
    }
    // An entry without its record is what an interrupted install left: start it again, empty.
    await cache.removeEntry("python", cached);
    cache.entry("python", cached);
  } else {
    await context.run("rm", ["-rf", "--", venv], { env: { PATH: SYSTEM_PATH }, keepLines: 5 });
  }

  await createVenv(context, python, venv);
  const pip = join(venv, "bin", "python");
  const pipEnv = {
    PIP_DISABLE_PIP_VERSION_CHECK: "1",
    PIP_NO_INPUT: "1",
    VIRTUAL_ENV: venv,
    ...(!context.env.PIP_CACHE_DIR && { PIP_CACHE_DIR: cache.entry("python", "pip") }),
  };
  if (hasRequirements) {
    if (isEmptyRequirements(requirementsText)) logger.info("requirements.txt lists no package: nothing to install.");
    else await runStep(context, "LOCAL_INSTALL_FAILED", "pip install -r requirements.txt", pip, ["-m", "pip", "install", "-r", "requirements.txt"], { env: pipEnv });
  } else if (hasPyproject) {
    await runStep(context, "LOCAL_INSTALL_FAILED", "pip install .", pip, ["-m", "pip", "install", "."], { env: pipEnv });
  }
  if (cached !== undefined) {
    // Beside the entry, in root's own directory: nothing pip ran can have planted a link there.
    cache.writeRecord("python", completeRecord(cached), `${new Date().toISOString()}\n`);
    await linkVenv(context, venv);
  }
  return contribution(venv);
}

async function createVenv(context: ToolchainBuildContext, python: string, venv: string): Promise<void> {
  try {
    await runStep(context, "LOCAL_INSTALL_FAILED", "creating the virtualenv", python, ["-m", "venv", venv]);
  } catch (error) {
    const text = Hop3Error.is(error) ? `${error.message}\n${((error.details.lastLines as string[]) ?? []).join("\n")}` : "";
    if (/ensurepip is not available|No module named venv/.test(text)) {
      throw localError("LOCAL_TOOL_MISSING", `"${context.app.name}" needs Python's venv module, and ${python} does not have it.`, {
        hint: `${INSTALL_PYTHON} (python3-venv is a separate package on Debian.)`,
        cause: error,
        details: { app: context.app.name, toolchain: "python", program: "python3 -m venv" },
      });
    }
    throw error;
  }
}

function contribution(venv: string): ToolchainContribution {
  return { env: { PYTHONUNBUFFERED: "1", VIRTUAL_ENV: venv }, path: [join(venv, "bin")] };
}

/** `.venv` in the release points at the shared virtualenv, for people looking at the release; made by the app, in its own tree. */
async function linkVenv(context: ToolchainBuildContext, venv: string): Promise<void> {
  const link = join(context.buildDir, ".venv");
  if (lstatOrUndefined(link) === undefined) await context.run("ln", ["-s", "--", venv, link], { env: { PATH: SYSTEM_PATH }, keepLines: 5 });
}

/** Only comments and blank lines. */
export const isEmptyRequirements = (text: string): boolean => text.split("\n").every((line) => line.replace(/#.*/, "").trim() === "");

/** Lines whose meaning depends on other files (`-r`, `-e .`, paths): the text alone is not a cache key. */
export const refersToLocalFiles = (text: string): boolean =>
  text.split("\n").some((line) => /^\s*(-r|--requirement|-c|--constraint|-e|--editable|\.|\/|file:)/.test(line));
