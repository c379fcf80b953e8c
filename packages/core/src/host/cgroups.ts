import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { coreError } from "../error-codes.js";
import { describe, LIMIT_NAMES, type AppLimits } from "./limits.js";

/** The controllers Hop3 uses, and where each is mounted (v1) or whether the unified tree has it (v2). */
export type Controller = "memory" | "pids" | "cpu";
const CONTROLLERS: readonly Controller[] = ["memory", "pids", "cpu"];

/** How this host can enforce limits. */
export interface CgroupSupport {
  /** Per controller: its v1 mount point, `v2` (the unified tree at `unified`), or undefined when absent. */
  readonly controllers: Readonly<Record<Controller, { readonly version: "v1"; readonly mount: string } | { readonly version: "v2" } | undefined>>;
  /** Mount point of the unified (v2) hierarchy, when there is one. */
  readonly unified?: string;
  /** Whether this process may create cgroups (root). */
  readonly writable: boolean;
}

/** The part of the cgroup tree Hop3 keeps its apps in: `<controller root>/hop3/<app user>/<slot>`. */
export const CGROUP_ROOT = "hop3";

/**
 * What this host offers, from /proc/self/mounts: each controller on its own v1 hierarchy
 * (/sys/fs/cgroup/memory...) is used there; otherwise the unified hierarchy, when its
 * cgroup.controllers lists it.
 */
export function detectCgroups(mountsFile = "/proc/self/mounts"): CgroupSupport {
  let mounts: string[] = [];
  try {
    mounts = readFileSync(mountsFile, "utf8").split("\n");
  } catch {
    // no procfs: nothing can be enforced
  }
  const v1: Partial<Record<Controller, string>> = {};
  let unified: string | undefined;
  for (const line of mounts) {
    const [, mountPoint, type, options] = line.split(" ");
    if (mountPoint === undefined || options === undefined) continue;
    if (type === "cgroup2") unified ??= mountPoint;
    if (type === "cgroup") for (const option of options.split(",")) if ((CONTROLLERS as readonly string[]).includes(option)) v1[option as Controller] ??= mountPoint;
  }
  let v2Controllers: string[] = [];
  if (unified !== undefined) {
    try {
      v2Controllers = readFileSync(join(unified, "cgroup.controllers"), "utf8").trim().split(/\s+/);
    } catch {
      v2Controllers = [];
    }
  }
  const controllers = Object.fromEntries(
    CONTROLLERS.map((name) => [name, v1[name] !== undefined ? { version: "v1" as const, mount: v1[name]! } : v2Controllers.includes(name) ? { version: "v2" as const } : undefined]),
  ) as CgroupSupport["controllers"];
  return { controllers, ...(unified !== undefined && { unified }), writable: isWritable(Object.values(v1)[0] ?? unified) };
}

/** Which controller enforces which limit; open files are an rlimit, enforced everywhere. */
const CONTROLLER_OF: Record<Exclude<keyof AppLimits, "openFiles">, Controller> = { memoryBytes: "memory", processes: "pids", cpus: "cpu" };

/** One warning per limit this host cannot enforce: shown by `deploy` and `doctor`, never dropped silently. */
export function unenforceableLimits(limits: AppLimits, support: CgroupSupport): string[] {
  const warnings: string[] = [];
  for (const [key, controller] of Object.entries(CONTROLLER_OF) as Array<[keyof typeof CONTROLLER_OF, Controller]>) {
    const value = limits[key];
    if (value === undefined) continue;
    const why = !support.writable ? "Hop3 does not run as root, so it cannot create cgroups" : support.controllers[controller] === undefined ? `this host has no ${controller} cgroup controller` : undefined;
    if (why !== undefined) warnings.push(`The ${LIMIT_NAMES[key]} limit (${describe(key, value)}) is not enforced: ${why}.`);
  }
  return warnings;
}

/** A directory of one cgroup in each hierarchy that holds a controller Hop3 uses. */
function groupDirs(support: CgroupSupport, path: readonly string[]): Map<string, Controller[]> {
  const dirs = new Map<string, Controller[]>();
  for (const name of CONTROLLERS) {
    const controller = support.controllers[name];
    if (controller === undefined) continue;
    const root = controller.version === "v1" ? controller.mount : support.unified!;
    const dir = join(root, ...path);
    dirs.set(dir, [...(dirs.get(dir) ?? []), name]);
  }
  return dirs;
}

/**
 * Creates the cgroup of one release of an app (`hop3/<user>/<slot>`, in every hierarchy that has
 * a controller) and writes its limits; a limit left undefined is reset to none, so a lowered
 * hop3.toml takes effect. Returns the `cgroup.procs` files a process writes its pid to, to join.
 * Raises CGROUP_SETUP_FAILED naming the file the kernel refused.
 */
export function prepareCgroup(support: CgroupSupport, user: string, slot: string, limits: AppLimits): string[] {
  if (!support.writable) return [];
  const path = [CGROUP_ROOT, user, slot];
  const procs: string[] = [];
  for (const [dir, controllers] of groupDirs(support, path)) {
    try {
      mkdirSync(dir, { recursive: true });
      if (support.unified !== undefined && dir.startsWith(`${support.unified}/`)) enableV2Controllers(support.unified, path, controllers);
      for (const controller of controllers) writeLimit(dir, controller, limits, support.controllers[controller]!.version);
    } catch (error) {
      throw coreError("CGROUP_SETUP_FAILED", `The cgroup ${dir} of ${user} could not be set up: ${(error as Error).message}.`, { cause: error, details: { dir, user } });
    }
    procs.push(join(dir, "cgroup.procs"));
  }
  return procs;
}

/** v2: a controller works in a cgroup only when each ancestor lists it in cgroup.subtree_control. */
function enableV2Controllers(unified: string, path: readonly string[], controllers: readonly Controller[]): void {
  const enable = controllers.map((name) => `+${name}`).join(" ");
  for (let depth = 0; depth < path.length; depth++) {
    const parent = join(unified, ...path.slice(0, depth));
    const current = readFileSync(join(parent, "cgroup.subtree_control"), "utf8");
    if (controllers.every((name) => current.split(/\s+/).includes(name))) continue;
    writeFileSync(join(parent, "cgroup.subtree_control"), enable);
  }
}

function writeLimit(dir: string, controller: Controller, limits: AppLimits, version: "v1" | "v2"): void {
  const set = (file: string, value: string) => {
    if (existsSync(join(dir, file))) writeFileSync(join(dir, file), value);
  };
  if (controller === "memory") {
    const bytes = limits.memoryBytes;
    if (version === "v2") {
      set("memory.max", bytes === undefined ? "max" : String(bytes));
      set("memory.swap.max", bytes === undefined ? "max" : "0");
    } else {
      // memsw (RAM + swap) must stay >= the RAM limit: lift it, set RAM, then set it, so swap adds nothing.
      set("memory.memsw.limit_in_bytes", "-1");
      set("memory.limit_in_bytes", bytes === undefined ? "-1" : String(bytes));
      if (bytes !== undefined) set("memory.memsw.limit_in_bytes", String(bytes));
    }
  } else if (controller === "pids") {
    set("pids.max", limits.processes === undefined ? "max" : String(limits.processes));
  } else {
    const period = 100_000;
    const quota = limits.cpus === undefined ? undefined : Math.max(1_000, Math.round(limits.cpus * period));
    if (version === "v2") set("cpu.max", quota === undefined ? `max ${period}` : `${quota} ${period}`);
    else {
      set("cpu.cfs_period_us", String(period));
      set("cpu.cfs_quota_us", quota === undefined ? "-1" : String(quota));
    }
  }
}

/** Every process in any cgroup of the app (any slot), found in each hierarchy. */
export function cgroupPids(support: CgroupSupport, user: string): number[] {
  const pids = new Set<number>();
  for (const dir of groupDirs(support, [CGROUP_ROOT, user]).keys()) {
    for (const slot of listDir(dir)) {
      try {
        for (const line of readFileSync(join(dir, slot, "cgroup.procs"), "utf8").split("\n")) if (/^\d+$/.test(line)) pids.add(Number(line));
      } catch {
        // not a cgroup directory
      }
    }
  }
  return [...pids];
}

/** Removes the app's cgroups once they are empty (destroy); a cgroup that still holds a process stays. */
export function removeCgroups(support: CgroupSupport, user: string): void {
  for (const dir of groupDirs(support, [CGROUP_ROOT, user]).keys()) {
    for (const slot of listDir(dir)) tryRmdir(join(dir, slot));
    tryRmdir(dir);
  }
}

function tryRmdir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // still has processes, or already gone
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return [];
  }
}

function isWritable(dir: string | undefined): boolean {
  if (dir === undefined || process.getuid?.() !== 0) return false;
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
