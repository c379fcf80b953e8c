import { createHash } from "node:crypto";
import { realpathSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { findProgram, Hop3Error, readAppFile, type LanguageToolchain, type ToolchainBuildContext, type ToolchainContribution } from "@hop3/core";
import { lstatOrUndefined, SYSTEM_PATH } from "../app-files.js";
import { cacheOf, type AppCache } from "../cache.js";
import { localError } from "../errors.js";
import { detectByFiles, isFile, requireTool, runStep, type ToolchainSettings } from "./shared.js";

const INSTALL_NODE = "Install Node.js and npm: on Debian or Ubuntu `apt-get install nodejs npm`, or from https://nodejs.org.";
/** Records (root's, in `<app>/cache/node/.hop3`) of what a release's node_modules was installed from: `install-<release>`. */
const INSTALL_RECORD = "install-";

/** How the dependencies are installed, from the lockfile found and the tools installed. */
export interface NodeInstaller {
  readonly tool: "npm" | "pnpm" | "yarn";
  readonly args: readonly string[];
  readonly lockfile?: string;
}

/** The shape of package.json this toolchain reads. */
interface PackageJson {
  readonly scripts?: Record<string, string>;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
}

/**
 * Node: installs with the package manager whose lockfile is there (npm ci, pnpm, yarn; else npm
 * install), runs the `build` script, and offers `web: npm start`. An unchanged rebuild (same
 * package.json, lockfile and Node) hard-links the previous release's node_modules instead of
 * installing again. npm's download cache is `<app>/cache/node/npm`.
 */
export function createNodeToolchain(settings: ToolchainSettings = {}): LanguageToolchain {
  return {
    apiVersion: 1,
    name: "node",
    programs: [{ name: "node", install: INSTALL_NODE }],
    description: "Node.js: npm ci / npm install (pnpm, yarn when locked), the build script",
    priority: 20,
    detect: (app) => detectByFiles(app, "node", ["package.json"]),
    build: (context) => buildNode(context, settings.reuse ?? true),
  };
}

/**
 * Reads package.json, never through a link out of `dir` (CONFIG_FILE_OUTSIDE_APP); anything but a
 * JSON object is LOCAL_MANIFEST_INVALID.
 */
export function readPackageJson(dir: string, appName: string): PackageJson {
  const file = join(dir, "package.json");
  let text: string;
  try {
    text = readAppFile(dir, file);
  } catch (error) {
    if (Hop3Error.is(error)) throw error;
    throw localError("LOCAL_MANIFEST_INVALID", `"${appName}" is built with the node toolchain, and ${file} cannot be read: ${(error as Error).message}.`, {
      hint: "Add a package.json at the root of the app (`npm init -y` makes one), or name another toolchain in hop3.toml [build] toolchain.",
      cause: error,
      details: { app: appName, file },
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw localError("LOCAL_MANIFEST_INVALID", `${file} is not valid JSON: ${(error as Error).message}.`, { cause: error, details: { app: appName, file } });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw localError("LOCAL_MANIFEST_INVALID", `${file} must hold a JSON object, and it holds ${Array.isArray(parsed) ? "an array" : String(parsed === null ? "null" : typeof parsed)}.`, {
      details: { app: appName, file },
    });
  }
  return parsed as PackageJson;
}

/** The installer for this directory: a lockfile picks its tool when that tool is installed. */
export function chooseInstaller(dir: string, env: Readonly<Record<string, string | undefined>>): NodeInstaller {
  if (isFile(join(dir, "pnpm-lock.yaml")) && findProgram("pnpm", env)) return { tool: "pnpm", args: ["install", "--frozen-lockfile"], lockfile: "pnpm-lock.yaml" };
  if (isFile(join(dir, "yarn.lock")) && findProgram("yarn", env)) return { tool: "yarn", args: ["install", "--frozen-lockfile"], lockfile: "yarn.lock" };
  for (const lockfile of ["package-lock.json", "npm-shrinkwrap.json"]) {
    if (isFile(join(dir, lockfile))) return { tool: "npm", args: ["ci", "--no-audit", "--no-fund"], lockfile };
  }
  return { tool: "npm", args: ["install", "--no-audit", "--no-fund"] };
}

/** Nothing to install: no dependency of any kind and no install-time script of the app's own. */
export function hasNothingToInstall(pkg: PackageJson): boolean {
  const deps = [pkg.dependencies, pkg.devDependencies, pkg.optionalDependencies].some((d) => d && Object.keys(d).length > 0);
  const scripts = ["preinstall", "install", "postinstall", "prepare"].some((name) => pkg.scripts?.[name] !== undefined);
  return !deps && !scripts;
}

async function buildNode(context: ToolchainBuildContext, reuse: boolean): Promise<ToolchainContribution> {
  const { buildDir, logger, app } = context;
  const pkg = readPackageJson(app.dir, app.name); // the release holds the same file; errors name the user's
  const node = requireTool("node", context, "node", INSTALL_NODE);
  const installer = chooseInstaller(buildDir, context.env);
  const tool = requireTool(installer.tool, context, "node", installer.tool === "npm" ? INSTALL_NODE : `Install ${installer.tool}: \`npm install -g ${installer.tool}\`.`);
  for (const [lockfile, wanted] of [["pnpm-lock.yaml", "pnpm"], ["yarn.lock", "yarn"]] as const) {
    if (isFile(join(buildDir, lockfile)) && installer.tool !== wanted) logger.warn(`${lockfile} found, and ${wanted} is not installed: installing with ${installer.tool}.`);
  }

  const cache = cacheOf(context, "node");
  const npmEnv = context.env.npm_config_cache ? {} : { npm_config_cache: cache.entry("node", "npm") };
  if (hasNothingToInstall(pkg)) {
    logger.info("package.json lists no dependency: nothing to install.");
  } else {
    const key = installKey(buildDir, installer, node);
    const previous = reuse && installer.lockfile ? findReusableModules(cache, buildDir, key) : undefined;
    if (previous && (await hardLinkCopy(context, previous, join(buildDir, "node_modules")))) {
      logger.info(`${installer.lockfile} unchanged: reusing node_modules of ${previous}.`);
    } else {
      await runStep(context, "LOCAL_INSTALL_FAILED", `${installer.tool} ${installer.args[0]}`, tool, installer.args, { env: npmEnv });
    }
    if (lstatOrUndefined(join(buildDir, "node_modules"))?.isDirectory()) cache.writeRecord("node", `${INSTALL_RECORD}${basename(buildDir)}`, `${key}\n`);
  }

  if (pkg.scripts?.build !== undefined) {
    if (app.config.build.commands.length > 0) logger.info("hop3.toml [build] build is set: it replaces the package.json build script.");
    else await runStep(context, "LOCAL_BUILD_FAILED", "the package.json build script", tool, ["run", "build"], { env: npmEnv });
  }

  const workers: Record<string, string> = {};
  if (pkg.scripts?.start !== undefined) workers.web = `${installer.tool} start`;
  else if (isFile(join(buildDir, "server.js"))) workers.web = "node server.js"; // npm's own default for `npm start`
  return {
    env: { NODE_PATH: join(buildDir, "node_modules") },
    path: [join(buildDir, "node_modules", ".bin")],
    workers,
  };
}

/** What an install depends on: the manifest, the lockfile, the tool and the Node binary. */
function installKey(dir: string, installer: NodeInstaller, node: string): string {
  const hash = createHash("sha256").update(installer.tool).update("\0").update(readAppFile(dir, join(dir, "package.json")));
  if (installer.lockfile) hash.update("\0").update(readAppFile(dir, join(dir, installer.lockfile)));
  const binary = realpathSync(node);
  hash.update("\0").update(binary).update(String(statSync(binary).mtimeMs));
  return hash.digest("hex");
}

/**
 * The newest sibling release whose node_modules was installed with the same key, from root's
 * records. Records of releases that are gone are dropped on the way.
 */
function findReusableModules(cache: AppCache, buildDir: string, key: string): string | undefined {
  const builds = dirname(buildDir);
  const releases = cache
    .records("node")
    .filter((name) => name.startsWith(INSTALL_RECORD))
    .map((name) => name.slice(INSTALL_RECORD.length))
    .filter((release) => release !== basename(buildDir))
    .sort()
    .reverse();
  for (const release of releases) {
    const modules = join(builds, release, "node_modules");
    if (lstatOrUndefined(join(builds, release)) === undefined) {
      cache.removeRecord("node", `${INSTALL_RECORD}${release}`);
      continue;
    }
    if (lstatOrUndefined(modules)?.isDirectory() && cache.readRecord("node", `${INSTALL_RECORD}${release}`)?.trim() === key) return modules;
  }
  return undefined;
}

/** `cp -al` as the app: a copy made of hard links, about as fast as listing the tree. False when it cannot be done. */
async function hardLinkCopy(context: ToolchainBuildContext, from: string, to: string): Promise<boolean> {
  try {
    await context.run("cp", ["-al", "--", from, to], { env: { PATH: SYSTEM_PATH }, keepLines: 5 });
    return true;
  } catch (error) {
    context.logger.warn(`Could not reuse ${from} (${(error as Error).message}); installing again.`);
    await context.run("rm", ["-rf", "--", to], { env: { PATH: SYSTEM_PATH }, keepLines: 5 });
    return false;
  }
}
