import { existsSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { coreError } from "./error-codes.js";
import { parseHop3Toml } from "./formats/hop3-toml.js";
import { HTTP_WORKERS, parseCron, parseProcfile, type CronJob, type Procfile } from "./formats/procfile.js";
import type { Healthcheck } from "./schemas/artifact.js";
import type { Hop3Toml } from "./schemas/hop3-toml.js";
import { isValidAppName, toAppName } from "./schemas/names.js";
import { isDirectory } from "./fs.js";

/** The app's configuration from hop3.toml and the Procfile, normalized. hop3.toml wins. */
export interface AppConfig {
  /** Paths of the files read, absolute. */
  readonly files: { readonly hop3Toml?: string; readonly procfile?: string };
  /** `auto` unless hop3.toml `[build] builder` names one. */
  readonly builder: string;
  readonly toolchain?: string;
  readonly build: {
    readonly beforeBuild: readonly string[];
    readonly commands: readonly string[];
    readonly afterBuild: readonly string[];
    readonly packages: readonly string[];
    readonly ignore: readonly string[];
  };
  /** Commands run once before the workers start: hop3.toml `before-run`, then Procfile `prerun`/`release`. */
  readonly beforeRun: readonly string[];
  /** Procfile hooks run around the build: `preflight` then `prebuild` before it, `postbuild` after. */
  readonly hooks: { readonly prebuild: readonly string[]; readonly postbuild: readonly string[] };
  /** Worker name to command; `static` maps to a directory. */
  readonly workers: Readonly<Record<string, string>>;
  readonly cron: readonly CronJob[];
  readonly env: Readonly<Record<string, string>>;
  readonly healthcheck?: Healthcheck;
  readonly startTimeoutSeconds?: number;
  /** Raw sections that only one plugin reads (`nix`, `docker`, `port`...). */
  readonly toml: Hop3Toml;
  /** Things the user should know that are not errors. */
  readonly warnings: readonly string[];
}

/** An app directory, read and validated, as builders see it. */
export interface AppSource {
  /** Absolute path of the app directory. */
  readonly dir: string;
  /** Valid app name (a DNS label). */
  readonly name: string;
  readonly config: AppConfig;
}

export interface LoadAppOptions {
  /** Overrides the name derived from the directory; must be valid. */
  appName?: string;
}

/** Reads an app directory: checks it exists, settles its name, reads and merges its config files. */
export function loadApp(dir: string, options: LoadAppOptions = {}): AppSource {
  const absolute = resolve(dir);
  if (!isDirectory(absolute)) {
    throw coreError("APP_DIR_NOT_FOUND", `${absolute} is not a directory.`, { details: { path: absolute } });
  }
  return { dir: absolute, name: settleAppName(absolute, options.appName), config: loadAppConfig(absolute) };
}

function settleAppName(dir: string, requested: string | undefined): string {
  if (requested !== undefined) {
    if (!isValidAppName(requested)) {
      throw coreError("APP_NAME_INVALID", `"${requested}" is not a valid app name.`, { details: { name: requested } });
    }
    return requested;
  }
  const derived = toAppName(basename(dir));
  if (!derived) {
    throw coreError("APP_NAME_INVALID", `No valid app name can be made from the directory name "${basename(dir)}".`, {
      hint: "Pass a name explicitly (--app NAME): lowercase letters, digits and hyphens.",
      details: { name: basename(dir) },
    });
  }
  return derived;
}

/** Where the original Hop3 looks for a config file: the `hop3/` subfolder first, then the app root. */
export function findConfigFile(dir: string, name: string): string | undefined {
  return [join(dir, "hop3", name), join(dir, name)].find((path) => existsSync(path));
}

/** Reads hop3.toml and the Procfile of an app directory into one normalized AppConfig. */
export function loadAppConfig(dir: string): AppConfig {
  const tomlPath = findConfigFile(dir, "hop3.toml");
  const procfilePath = findConfigFile(dir, "Procfile");
  const toml = tomlPath ? parseHop3Toml(readConfig(tomlPath), tomlPath) : {};
  const procfile = procfilePath ? parseProcfile(readConfig(procfilePath), procfilePath) : { entries: [] };
  return normalizeConfig(toml, procfile, { hop3Toml: tomlPath, procfile: procfilePath });
}

/** Merges the two formats; hop3.toml wins over the Procfile. */
export function normalizeConfig(toml: Hop3Toml, procfile: Procfile, files: AppConfig["files"] = {}): AppConfig {
  const warnings: string[] = [];
  const procfileWorkers: Record<string, string> = {};
  const cron: CronJob[] = [];
  const hooks = { preflight: [] as string[], prebuild: [] as string[], postbuild: [] as string[], prerun: [] as string[] };
  for (const entry of procfile.entries) {
    if (entry.kind === "hook") hooks[entry.name === "release" ? "prerun" : (entry.name as keyof typeof hooks)].push(entry.command);
    else if (entry.kind === "cron") cron.push(parseCron(entry, files.procfile));
    else procfileWorkers[entry.name] = entry.command;
  }

  const tomlWorkers: Record<string, string> = { ...toml.run?.workers };
  if (toml.run?.start !== undefined) {
    if (tomlWorkers.web !== undefined) warnings.push('hop3.toml sets both [run] start and [run.workers] web; [run] start wins.');
    tomlWorkers.web = toml.run.start;
  }
  const tomlHttp = HTTP_WORKERS.filter((name) => name in tomlWorkers);
  if (tomlHttp.length > 1) {
    throw coreError("CONFIG_INVALID_VALUE", `${files.hop3Toml ?? "hop3.toml"}: workers ${tomlHttp.map((n) => `"${n}"`).join(" and ")} are both HTTP workers; an app has one.`, {
      hint: "Keep a single HTTP worker: web (or [run] start), wsgi, jwsgi or rwsgi.",
      details: { file: files.hop3Toml, key: `run.workers.${tomlHttp[1]}` },
    });
  }
  if (tomlWorkers.web !== undefined) {
    for (const name of HTTP_WORKERS) {
      if (name in procfileWorkers) {
        warnings.push(`hop3.toml defines the web worker, so the Procfile's "${name}" worker is ignored.`);
        delete procfileWorkers[name];
      }
    }
  }
  for (const name of Object.keys(tomlWorkers)) {
    if (name in procfileWorkers) warnings.push(`Worker "${name}" is defined in hop3.toml and the Procfile; hop3.toml wins.`);
  }

  // A [healthcheck] without a path still means something (a timeout, retries): it checks "/".
  const healthcheck = toml.healthcheck
    ? {
        path: toml.healthcheck.path ?? "/",
        ...(toml.healthcheck.timeout !== undefined && { timeoutSeconds: toml.healthcheck.timeout }),
        ...(toml.healthcheck.interval !== undefined && { intervalSeconds: toml.healthcheck.interval }),
        ...(toml.healthcheck.retries !== undefined && { retries: toml.healthcheck.retries }),
        ...(toml.healthcheck.contains !== undefined && { contains: toml.healthcheck.contains }),
      }
    : undefined;

  const workers = { ...procfileWorkers, ...tomlWorkers };
  if (workers.static !== undefined) checkStaticWorker(workers.static, files);

  return {
    files,
    builder: toml.build?.builder ?? "auto",
    ...(toml.build?.toolchain !== undefined && { toolchain: toml.build.toolchain }),
    build: {
      beforeBuild: commandList(toml.build?.["before-build"]),
      commands: commandList(toml.build?.build),
      afterBuild: commandList(toml.build?.["after-build"]),
      packages: toml.build?.packages ?? [],
      ignore: toml.build?.ignore ?? [],
    },
    beforeRun: [...commandList(toml.run?.["before-run"]), ...hooks.prerun],
    hooks: { prebuild: [...hooks.preflight, ...hooks.prebuild], postbuild: hooks.postbuild },
    workers,
    cron,
    env: Object.fromEntries(Object.entries(toml.env ?? {}).map(([key, value]) => [key, String(value)])),
    ...(healthcheck && { healthcheck }),
    ...(toml.run?.["start-timeout"] !== undefined && { startTimeoutSeconds: toml.run["start-timeout"] }),
    toml,
    warnings,
  };
}

/** A static worker names a directory inside the app, not a command. */
function checkStaticWorker(dir: string, files: AppConfig["files"]): void {
  if (!/^[A-Za-z0-9._/+@=,-]+$/.test(dir) || dir.startsWith("/") || dir.split("/").includes("..")) {
    throw coreError("CONFIG_INVALID_VALUE", `The static worker is "${dir}", which is not a directory inside the app.`, {
      hint: "Name a directory of the app, relative to its root, e.g. `static: public`.",
      details: { file: files.procfile ?? files.hop3Toml, key: "static" },
    });
  }
}

const commandList = (value: string | readonly string[] | undefined): string[] =>
  value === undefined ? [] : typeof value === "string" ? [value] : [...value];

function readConfig(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw coreError("CONFIG_FILE_UNREADABLE", `${path} could not be read: ${(error as Error).message}.`, {
      cause: error,
      details: { file: path },
    });
  }
}
