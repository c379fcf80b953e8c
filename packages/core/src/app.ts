import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { coreError } from "./error-codes.js";
import { parseHop3Toml, where } from "./formats/hop3-toml.js";
import { findTomlLine } from "./formats/toml-lines.js";
import { HTTP_WORKERS, isCronWorker, parseCron, parseProcfile, type CronJob, type Procfile } from "./formats/procfile.js";
import type { Healthcheck } from "./schemas/artifact.js";
import type { Hop3Toml } from "./schemas/hop3-toml.js";
import { toAppVolumes, type AppVolume } from "./formats/volumes.js";
import { checkEnvReferences, type EnvReference } from "./env-references.js";
import { findNotActedOn, notActedOnWarning, type NotActedOn } from "./not-acted-on.js";
import { isValidAppName, isValidWorkerName, toAppName } from "./schemas/names.js";
import { isDirectory } from "./fs.js";
import { checkDomain, MAX_DOMAINS, type DeclaredDomains } from "./domain-names.js";
import { Hop3Error } from "./errors.js";
import { readAppFile } from "./host/confine.js";
import { toLimits, type AppLimits } from "./host/limits.js";

/** The app's configuration from hop3.toml and the Procfile, normalized. hop3.toml wins. */
export interface AppConfig {
  /** Paths of the files read, absolute. */
  readonly files: { readonly hop3Toml?: string; readonly procfile?: string };
  /** `auto` unless hop3.toml `[build] builder` (or the catalogue dialect's `[app] builder`) names one. */
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
  /**
   * Worker name to command; `static` maps to a directory. From the Procfile, then hop3.toml
   * `[processes]` (catalogue dialect), `[run.workers]` and `[run] start` (as `web`). Cron workers
   * (`cron`, `cron2`, `cron-<name>`...) map to `<minute> <hour> <day> <month> <weekday> <command>`,
   * as the Procfile writes them; the catalogue dialect's `[scheduler]` jobs become `cron-<job>`.
   */
  readonly workers: Readonly<Record<string, string>>;
  /** The cron workers of `workers`, parsed (schedule and command). */
  readonly cron: readonly CronJob[];
  /** Plain `[env]` values, as text. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * `[env]` references (`{ key }` facts, `{ generate }`, `{ random }`, `{ from, key }`), raw: filled in
   * at plan and deploy time (env-references.ts). Unknown facts and undeclared addons are refused here.
   */
  readonly deferredEnv: Readonly<Record<string, EnvReference>>;
  /** `[env.computed]`, raw (`${VAR}` left as written): not interpolated yet. */
  readonly computedEnv: Readonly<Record<string, string>>;
  /** `[healthcheck]` (or the older `[run] healthcheck` path); `contains` is the health gate's body check. */
  readonly healthcheck?: Healthcheck;
  readonly startTimeoutSeconds?: number;
  /** hop3.toml `[run] deployer`: the deployer the app asks for, and where it is written (for the error when the server has none of that name). */
  readonly deployer?: { readonly name: string; readonly where: string };
  /** What the app asks to be allowed: hop3.toml `[limits]` (or the catalogue dialect's `[resources]`); the server's defaults fill the rest. */
  readonly limits: AppLimits;
  /** The port the app listens on inside its container: `[docker] port`, `[port] web` or `[web] port`. */
  readonly containerPort?: { readonly port: number; readonly source: ContainerPortSource };
  /** hop3.toml `[[volumes]]`: directories kept across deploys, linked at their target in every release. */
  readonly volumes: readonly AppVolume[];
  /** hop3.toml `[domains]`: host names the app declares, routed (and given certificates) once a release with them is live. */
  readonly domains?: DeclaredDomains;
  /** What hop3.toml holds that this Hop3 recognizes and keeps but does not act on; each is also a warning. */
  readonly notActedOn: readonly NotActedOn[];
  /** Raw sections, both dialects, for the plugin that reads them (`nix`, `docker`...). */
  readonly toml: Hop3Toml;
  /** Things the user should know that are not errors. */
  readonly warnings: readonly string[];
}

/** The hop3.toml key that named the container port. */
export type ContainerPortSource = "hop3.toml [docker] port" | "hop3.toml [port] web" | "hop3.toml [web] port";

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
  const tomlText = tomlPath ? readConfig(dir, tomlPath) : undefined;
  const toml = tomlPath && tomlText !== undefined ? parseHop3Toml(tomlText, tomlPath) : {};
  const procfile = procfilePath ? parseProcfile(readConfig(dir, procfilePath), procfilePath) : { entries: [] };
  return normalizeConfig(toml, procfile, { hop3Toml: tomlPath, procfile: procfilePath }, tomlText);
}

/** Raises CONFIG_INVALID_VALUE for keys of hop3.toml that contradict each other, naming file, line and key. */
type Contradiction = (path: readonly string[], message: string, hint: string) => Error;

/**
 * Merges the two formats; hop3.toml wins over the Procfile. With the text of hop3.toml, errors about
 * keys that contradict each other give their line.
 */
export function normalizeConfig(toml: Hop3Toml, procfile: Procfile, files: AppConfig["files"] = {}, hop3TomlText?: string): AppConfig {
  const contradiction: Contradiction = (path, message, hint) => {
    const file = files.hop3Toml ?? "hop3.toml";
    const line = hop3TomlText === undefined ? undefined : findTomlLine(hop3TomlText, path);
    return coreError("CONFIG_INVALID_VALUE", `${where(file, line)}: ${message}`, { hint, details: { file, line, key: path.join(".") } });
  };
  const warnings: string[] = [];
  const procfileWorkers: Record<string, string> = {};
  const hooks = { preflight: [] as string[], prebuild: [] as string[], postbuild: [] as string[], prerun: [] as string[] };
  for (const entry of procfile.entries) {
    if (entry.kind === "hook") hooks[entry.name === "release" ? "prerun" : (entry.name as keyof typeof hooks)].push(entry.command);
    else procfileWorkers[entry.name] = entry.command;
  }

  const tomlWorkers: Record<string, string> = { ...toml.processes, ...schedulerWorkers(toml, contradiction) };
  for (const [name, command] of Object.entries(toml.run?.workers ?? {})) {
    if (tomlWorkers[name] !== undefined) warnings.push(`hop3.toml sets worker "${name}" in both [processes] and [run.workers]; [run.workers] wins.`);
    tomlWorkers[name] = command;
  }
  const start = startCommand(toml.run?.start);
  if (start !== undefined) {
    if (tomlWorkers.web !== undefined) {
      warnings.push(`hop3.toml sets both [run] start and ${toml.run?.workers?.web !== undefined ? "[run.workers]" : "[processes]"} web; [run] start wins.`);
    }
    tomlWorkers.web = start;
  }
  const tomlHttp = HTTP_WORKERS.filter((name) => name in tomlWorkers);
  if (tomlHttp.length > 1) {
    const second = tomlHttp[1]!;
    const table = toml.run?.workers?.[second] !== undefined ? ["run", "workers"] : ["processes"];
    throw contradiction([...table, second], `workers ${tomlHttp.map((n) => `"${n}"`).join(" and ")} are both HTTP workers; an app has one.`, "Keep a single HTTP worker: web (or [run] start), wsgi, jwsgi or rwsgi.");
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

  const healthcheck = healthcheckOf(toml);
  const notActedOn = findNotActedOn(toml);
  warnings.push(...notActedOn.map(notActedOnWarning));
  const env = toml.env ?? {};
  // Built from pairs: a variable named __proto__ stays a variable.
  const variables = Object.entries(env as Record<string, unknown>).filter(([name]) => name !== "computed" && name !== "_policy");
  const isReference = (value: unknown) => typeof value === "object" && value !== null;
  const plainEnv: Record<string, string> = Object.fromEntries(variables.filter(([, value]) => !isReference(value)).map(([name, value]) => [name, String(value)]));
  const deferredEnv: Record<string, EnvReference> = Object.fromEntries(variables.filter(([, value]) => isReference(value)) as Array<[string, EnvReference]>);
  checkEnvReferences(deferredEnv, toml, (name) => {
    const file = files.hop3Toml ?? "hop3.toml";
    const line = hop3TomlText === undefined ? undefined : findTomlLine(hop3TomlText, ["env", name]);
    return { where: where(file, line), details: { file, line, key: `env.${name}` } };
  });
  const containerPort = containerPortOf(toml, contradiction);
  const limits = limitsOf(toml, contradiction);

  const domains = declaredDomainsOf(toml, files, hop3TomlText);

  const workers = { ...procfileWorkers, ...tomlWorkers };
  if (workers.static !== undefined) checkStaticWorker(workers.static, files);
  const cron = cronJobs(procfile, tomlWorkers, files, hop3TomlText);

  return {
    files,
    builder: builderOf(toml, contradiction),
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
    env: plainEnv,
    deferredEnv,
    computedEnv: { ...env.computed },
    ...(healthcheck && { healthcheck }),
    ...(toml.run?.["start-timeout"] !== undefined && { startTimeoutSeconds: toml.run["start-timeout"] }),
    ...(toml.run?.deployer !== undefined && {
      deployer: { name: toml.run.deployer, where: where(files.hop3Toml ?? "hop3.toml", hop3TomlText === undefined ? undefined : findTomlLine(hop3TomlText, ["run", "deployer"])) },
    }),
    limits,
    ...(containerPort && { containerPort }),
    volumes: toAppVolumes(toml.volumes),
    ...(domains && { domains }),
    notActedOn,
    toml,
    warnings,
  };
}

/** hop3.toml `[domains]`, each name checked as `hop3 domains add` checks it (DOMAIN_INVALID, with the file and line). */
function declaredDomainsOf(toml: Hop3Toml, files: AppConfig["files"], hop3TomlText: string | undefined): DeclaredDomains | undefined {
  if (toml.domains === undefined) return undefined;
  const list = [...new Set(toml.domains.list)];
  const file = files.hop3Toml ?? "hop3.toml";
  const line = hop3TomlText === undefined ? undefined : findTomlLine(hop3TomlText, ["domains", "list"]);
  if (list.length > MAX_DOMAINS) throw coreError("DOMAIN_INVALID", `${where(file, line)}: [domains] lists ${list.length} names; at most ${MAX_DOMAINS} are allowed.`, { details: { file, line } });
  for (const host of list) {
    try {
      checkDomain("this app", host);
    } catch (error) {
      throw coreError("DOMAIN_INVALID", `${where(file, line)}: [domains] ${(error as Error).message}`, { details: { file, line, host } });
    }
  }
  // The schema admits only the two policies.
  return { list, policy: (toml.domains._policy ?? "keep-existing") as DeclaredDomains["policy"] };
}

/**
 * The catalogue dialect's `[scheduler]`: `job = { schedule, command }`, or `job = "<schedule>"`
 * with `job_command`. Each becomes the cron worker `cron-<job>` (`cron-job_command` is never made).
 */
function schedulerWorkers(toml: Hop3Toml, contradiction: Contradiction): Record<string, string> {
  const section = toml.scheduler ?? {};
  const workers: Record<string, string> = {};
  for (const [job, value] of Object.entries(section)) {
    if (typeof value === "string" && job.endsWith("_command") && typeof section[job.slice(0, -"_command".length)] === "string") continue;
    const name = `cron-${job}`;
    if (!isValidWorkerName(name)) throw contradiction(["scheduler", job], `job "${job}" cannot be a worker name (${name}).`, "Name scheduled jobs with letters, digits, '-' and '_'.");
    const command = typeof value === "string" ? section[`${job}_command`] : value.command;
    if (typeof command !== "string") throw contradiction(["scheduler", job], `job "${job}" has a schedule and no \`${job}_command\`.`, `Add \`${job}_command = "..."\`, or write \`${job} = { schedule = "...", command = "..." }\`.`);
    workers[name] = `${typeof value === "string" ? value : value.schedule} ${command}`;
  }
  return workers;
}

/** Every cron worker, parsed; errors name the file (and line) that declared it. */
function cronJobs(procfile: Procfile, tomlWorkers: Record<string, string>, files: AppConfig["files"], hop3TomlText: string | undefined): CronJob[] {
  const jobs: CronJob[] = [];
  for (const entry of procfile.entries) if (entry.kind === "cron" && tomlWorkers[entry.name] === undefined) jobs.push(parseCron(entry, files.procfile));
  for (const [name, command] of Object.entries(tomlWorkers)) {
    if (!isCronWorker(name)) continue;
    const line = hop3TomlText === undefined ? undefined : (findTomlLine(hop3TomlText, ["run", "workers", name]) ?? findTomlLine(hop3TomlText, ["processes", name]) ?? findTomlLine(hop3TomlText, ["scheduler", name.slice("cron-".length)]));
    jobs.push(parseCron({ name, command, line: line ?? 0 }, files.hop3Toml ?? "hop3.toml"));
  }
  return jobs;
}

/** `[run] start`; upstream joins a list of commands with `&&`. */
function startCommand(start: string | readonly string[] | undefined): string | undefined {
  if (start === undefined) return undefined;
  return typeof start === "string" ? start : start.join(" && ");
}

/** `[build] builder`, or the catalogue dialect's `[app] builder`; two different names are an error. */
function builderOf(toml: Hop3Toml, contradiction: Contradiction): string {
  const build = toml.build?.builder;
  const app = toml.app?.builder;
  if (build !== undefined && app !== undefined && build !== app) {
    throw contradiction(["app", "builder"], `[build] builder is "${build}" and [app] builder is "${app}"; an app has one builder.`, "Keep one of the two keys, or give both the same builder.");
  }
  return build ?? app ?? "auto";
}

/**
 * `[healthcheck]`, with the older `[run] healthcheck` path and `healthcheck-timeout` as fallbacks.
 * A [healthcheck] without a path still means something (a timeout, retries): it checks "/".
 */
function healthcheckOf(toml: Hop3Toml): Healthcheck | undefined {
  const section = toml.healthcheck;
  const path = section?.path ?? toml.run?.healthcheck;
  const timeout = section?.timeout ?? toml.run?.["healthcheck-timeout"];
  if (section === undefined && path === undefined && timeout === undefined) return undefined;
  return {
    path: path ?? "/",
    ...(timeout !== undefined && { timeoutSeconds: timeout }),
    ...(section?.interval !== undefined && { intervalSeconds: section.interval }),
    ...(section?.retries !== undefined && { retries: section.retries }),
    ...(section?.contains !== undefined && { contains: section.contains }),
  };
}

/** The container port: `[docker] port`, `[port] web` (a port or `{ container }`), `[web] port`; they must agree. */
function containerPortOf(toml: Hop3Toml, contradiction: Contradiction): AppConfig["containerPort"] {
  const web = toml.port?.web;
  const candidates = [
    { port: toml.docker?.port, source: "hop3.toml [docker] port" as const, key: "docker.port" },
    { port: typeof web === "number" ? web : web?.container, source: "hop3.toml [port] web" as const, key: "port.web" },
    { port: toml.web?.port, source: "hop3.toml [web] port" as const, key: "web.port" },
  ].filter((candidate): candidate is { port: number; source: ContainerPortSource; key: string } => candidate.port !== undefined);
  const [first, ...others] = candidates;
  const disagreeing = others.find((other) => other.port !== first?.port);
  if (first && disagreeing) {
    throw contradiction(disagreeing.key.split("."), `${first.source} is ${first.port} and ${disagreeing.source} is ${disagreeing.port}; the app listens on one port.`, "Give the keys the same port, or keep only one of them.");
  }
  return first && { port: first.port, source: first.source };
}

/** `[limits]`, with the catalogue dialect's `[resources] memory`; the two must agree on memory. */
function limitsOf(toml: Hop3Toml, contradiction: Contradiction): AppLimits {
  const section = toml.limits;
  const memory = section?.memory ?? toml.resources?.memory;
  if (section?.memory !== undefined && toml.resources?.memory !== undefined && section.memory !== toml.resources.memory) {
    throw contradiction(["resources", "memory"], `[limits] memory is "${section.memory}" and [resources] memory is "${toml.resources.memory}"; an app has one memory limit.`, "Keep one of the two keys, or give both the same size.");
  }
  const { limits, invalid } = toLimits({
    ...(memory !== undefined && { memory }),
    ...(section?.cpu !== undefined && { cpu: section.cpu }),
    ...(section?.processes !== undefined && { processes: section.processes }),
    ...(section?.["open-files"] !== undefined && { openFiles: section["open-files"] }),
  });
  if (invalid.length > 0) throw contradiction(["limits", "memory"], `[limits] ${invalid.join(", ")} is not a size.`, 'Write a size such as "512M" or "2G".');
  return limits;
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

function readConfig(dir: string, path: string): string {
  try {
    return readAppFile(dir, path);
  } catch (error) {
    if (Hop3Error.is(error)) throw error;
    throw coreError("CONFIG_FILE_UNREADABLE", `${path} could not be read: ${(error as Error).message}.`, {
      cause: error,
      details: { file: path },
    });
  }
}
