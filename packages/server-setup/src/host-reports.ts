import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { userInfo } from "node:os";
import {
  detectCgroups,
  Hop3Error,
  hop3ConfigFile,
  legacyRootHome,
  LIMIT_NAMES,
  readHop3Config,
  resolveHop3Home,
  runsAsRoot,
  unenforceableLimits,
  userPrefix,
  webUserName,
  type AppLimits,
  type CgroupSupport,
  type Hop3Config,
} from "@hop3/core";

type Env = Readonly<Record<string, string | undefined>>;

/** A problem that keeps a report from being made, as `--json` shows errors. */
export interface Problem {
  readonly code: string;
  readonly message: string;
  readonly hint: string;
}

const problemOf = (error: unknown): Problem =>
  Hop3Error.is(error) ? { code: error.code, message: error.message, hint: error.hint } : { code: "INTERNAL", message: String((error as Error)?.message ?? error), hint: "This is a bug in hop3." };

/** Who the apps run as, and what that protects. */
export interface IsolationReport {
  /** `user-per-app`: Hop3 runs as root and each app as its own user; `single-user`: every app runs as Hop3's user. */
  readonly mode: "user-per-app" | "single-user";
  readonly root: boolean;
  readonly home: string;
  /** Single-user: the user every app runs as. */
  readonly user?: string;
  /** User per app: the pattern of app user names, and the user nginx's workers run as. */
  readonly appUsers?: string;
  readonly webUser?: string;
  /** What the mode leaves unprotected (single-user). */
  readonly notProtected: readonly string[];
  readonly problem?: Problem;
}

/** What a single-user install does not keep apart. */
export const SINGLE_USER_GAPS: readonly string[] = [
  "apps can read and change each other's files, their env values and Hop3's state in HOP3_HOME",
  "apps can signal or trace each other's processes",
  "no limit is enforced with cgroups (only open files)",
];

export function isolationReport(env: Env, root = runsAsRoot()): IsolationReport {
  const home = resolveHop3Home(env);
  if (!root) return { mode: "single-user", root, home, user: currentUser(), notProtected: SINGLE_USER_GAPS };
  try {
    const prefix = userPrefix({ home, env });
    return { mode: "user-per-app", root, home, appUsers: `${prefix}-<app>`, webUser: webUserName(prefix), notProtected: [] };
  } catch (error) {
    return { mode: "user-per-app", root, home, notProtected: [], problem: problemOf(error) };
  }
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? "?");
  }
}

/** How each limit is enforced on this host: a cgroup controller (v1 or v2), an rlimit, or not at all (and why). */
export type Enforcement = { readonly by: string } | { readonly by: null; readonly why: string };

export interface LimitsReport {
  readonly enforcement: Readonly<Record<keyof AppLimits, Enforcement>>;
  /** Whether Hop3 may create cgroups here (it runs as root and the hierarchy is writable). */
  readonly cgroupsWritable: boolean;
  /** What every app gets unless its hop3.toml says otherwise, and what none gets past (from the config file). */
  readonly defaults: AppLimits;
  readonly maximum: AppLimits;
  /** One per configured default this host cannot enforce: never silent. */
  readonly warnings: readonly string[];
}

const CONTROLLER_OF = { memoryBytes: "memory", processes: "pids", cpus: "cpu" } as const;

export function limitsReport(config: Hop3Config, support: CgroupSupport = detectCgroups()): LimitsReport {
  const enforcement = {} as Record<keyof AppLimits, Enforcement>;
  for (const key of Object.keys(LIMIT_NAMES) as Array<keyof AppLimits>) {
    if (key === "openFiles") {
      enforcement[key] = { by: "RLIMIT_NOFILE" };
      continue;
    }
    const controller = support.controllers[CONTROLLER_OF[key]];
    enforcement[key] =
      controller === undefined
        ? { by: null, why: `this host has no ${CONTROLLER_OF[key]} cgroup controller` }
        : !support.writable
          ? { by: null, why: "Hop3 does not run as root, so it cannot create cgroups" }
          : { by: `cgroup ${controller.version} ${CONTROLLER_OF[key]}` };
  }
  return { enforcement, cgroupsWritable: support.writable, defaults: config.limits, maximum: config.maxLimits, warnings: unenforceableLimits(config.limits, support) };
}

/** Hop3's config file: which one is read, or why it cannot be. */
export interface ConfigReport {
  /** Where it is looked for (it need not exist). */
  readonly path: string | null;
  /** The file read, null when there is none (defaults apply). */
  readonly file: string | null;
  readonly plugins: readonly string[];
  readonly logs: Hop3Config["logs"] | null;
  readonly problem?: Problem;
}

export function readConfig(env: Env): { report: ConfigReport; config?: Hop3Config } {
  const path = hop3ConfigFile(env) ?? null;
  try {
    const config = readHop3Config(env);
    return { report: { path, file: config.file ?? null, plugins: config.plugins, logs: config.logs }, config };
  } catch (error) {
    return { report: { path, file: path, plugins: [], logs: null, problem: problemOf(error) } };
  }
}

/** Apps left in root's default home of earlier versions, which this Hop3 does not see. */
export interface LegacyHomeReport {
  readonly path: string;
  readonly apps: readonly string[];
  /** Where they should go: this Hop3's home. */
  readonly to: string;
  /** What to run, in order. */
  readonly steps: readonly string[];
}

export function legacyHomeReport(env: Env): LegacyHomeReport | null {
  const old = legacyRootHome(env);
  if (old === undefined) return null;
  const to = resolveHop3Home(env);
  const apps = listDirs(join(old, "apps"));
  const target = listDirs(join(to, "apps")).length === 0 ? to : `${to} (it holds apps already: move each apps/<app> directory instead)`;
  return {
    path: old,
    apps,
    to,
    steps: [
      `HOP3_HOME=${old} hop3 server stop`,
      `mv ${old} ${target}`,
      "hop3 server start",
      `hop3 deploy DIR for each app (${apps.join(", ")}): their paths are written into their configuration`,
    ],
  };
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory());
  } catch {
    return [];
  }
}

/** The page that says how to move a home. */
export const MOVING_HOME_PAGE = "docs/errors/HOP3_HOME_NOT_TRAVERSABLE.md";

/** Whether this Hop3 starts at boot. */
export interface BootReport {
  readonly systemd: boolean;
  /** The unit `hop3 setup` makes for this HOP3_HOME (systemd only). */
  readonly unit?: string;
  readonly enabled: boolean;
  readonly active: boolean;
}

/** Reads the state of this HOP3_HOME's boot unit; `unitState` is systemctl's answer. */
export async function bootReport(unit: string | undefined, systemd: boolean, unitState: (unit: string) => Promise<{ enabled: boolean; active: boolean }>): Promise<BootReport> {
  if (!systemd || unit === undefined) return { systemd, ...(unit !== undefined && { unit }), enabled: false, active: false };
  return { systemd, unit, ...(await unitState(unit)) };
}

/** The uWSGI plugins installed: what `hop3 doctor` lists, so a missing language plugin is seen before a deploy. */
export interface UwsgiPluginsReport {
  /** Where uWSGI loads them from. */
  readonly dir: string;
  /** Plugin names (`python3`, `rack`, `jvm`...: the file `<name>_plugin.so`), sorted; empty when the directory is absent. */
  readonly installed: readonly string[];
}

export function uwsgiPluginsReport(dir: string): UwsgiPluginsReport {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    names = [];
  }
  const installed = names.flatMap((name) => /^(.+)_plugin\.so$/.exec(name)?.[1] ?? []).sort();
  return { dir, installed };
}
