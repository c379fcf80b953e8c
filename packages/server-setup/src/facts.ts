import { execFile } from "node:child_process";
import { readFileSync, realpathSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { delimiter, isAbsolute } from "node:path";
import { findProgram, pathSearchableByAll } from "@hop3/core";
import { PATH_WRAPPER, UNIT_DIR, type Hop3Install } from "./boot.js";
import { nixDaemonAnswers, NIX_DAEMON_SOCKET } from "./nix-mode.js";
import { parseOsRelease, type Platform } from "./platform.js";
import { gatherSshLoginFacts, type SshLoginFacts } from "./ssh-login.js";

/** A user who will deploy, as `id` describes them. */
export interface DeployUser {
  readonly name: string;
  readonly uid: number;
  readonly groups: readonly string[];
}

/** Whether a systemd unit is enabled and running (both false when unknown or without systemd). */
export interface UnitState {
  readonly enabled: boolean;
  readonly active: boolean;
}

/**
 * Everything setup asks the machine, behind one interface: the real one reads files and runs
 * dpkg-query, id and systemctl; tests give fixed answers, so every decision is tested without a machine.
 */
export interface SetupProbes {
  /** The text of /etc/os-release, or undefined without one. */
  osRelease(): string | undefined;
  /** The uid setup runs as (0 is root). */
  uid(): number;
  /** Whether systemd is the init system (PID 1): sd_booted()'s test, /run/systemd/system exists. */
  systemdIsInit(): boolean;
  hasProgram(name: string): boolean;
  /** Where a program is on PATH, or undefined. */
  programPath(name: string): string | undefined;
  /** The directories of PATH. */
  pathDirs(): readonly string[];
  /** A file's text, or undefined when it does not exist or cannot be read. */
  readFile(path: string): string | undefined;
  /** A path with every link resolved, or undefined when it does not exist. */
  realPath(path: string): string | undefined;
  /** Whether a nix-daemon accepts connections on its socket. */
  nixDaemonAnswers(): Promise<boolean>;
  /** Which of these Debian packages dpkg has installed. */
  installedPackages(names: readonly string[]): Promise<ReadonlySet<string>>;
  /** The named user, or undefined when there is none. */
  user(name: string): Promise<DeployUser | undefined>;
  /** Owner of a path, or undefined when it does not exist. */
  ownerUid(path: string): number | undefined;
  unitState(unit: string): Promise<UnitState>;
}

/** What setup knows about the machine before deciding anything. Plain data: plans are made from it. */
export interface MachineFacts {
  readonly platform: Platform;
  readonly root: boolean;
  readonly systemd: boolean;
  readonly apt: boolean;
  /** Installed Debian packages, among those the plan may need. */
  readonly installed: ReadonlySet<string>;
  /** Programs found on PATH, among those the requirements name. */
  readonly programs: ReadonlySet<string>;
  /** The user who will run `hop3 deploy`; undefined when no such user exists. */
  readonly deployUser: DeployUser | undefined;
  readonly deployUserName: string;
  /** Owner of /nix/store (undefined before Nix is installed). */
  readonly nixStoreOwner: number | undefined;
  /** Whether a nix-daemon answers on /nix/var/nix/daemon-socket/socket. */
  readonly nixDaemonAnswers: boolean;
  /** Where nix-daemon is, when it is on PATH. */
  readonly nixDaemonPath: string | undefined;
  /** States of the units setup manages, by unit name. */
  readonly units: Readonly<Record<string, UnitState>>;
  /** The files setup may write (the boot unit, the PATH wrapper), by path: their text, undefined when absent. */
  readonly files: Readonly<Record<string, string | undefined>>;
  /** The `hop3` found on PATH, and whether it is the install setup runs from (the same file, links resolved). */
  readonly hop3OnPath: { readonly path: string; readonly sameInstall: boolean } | undefined;
  /** The directories of PATH. */
  readonly pathDirs: readonly string[];
  /** Deploy keys' login user, entry and sudoers rule (looked at with an install only). */
  readonly sshLogin?: SshLoginFacts;
}

/** Units whose state setup reads (only where systemd runs). */
export const MANAGED_UNITS = ["nix-daemon.socket", "docker.service", "docker-registry.service"] as const;

/** What setup is asked to look at. */
export interface WantedFacts {
  readonly packages: readonly string[];
  readonly programs: readonly string[];
  readonly deployUser: string;
  /** This Hop3: its boot unit and PATH wrapper are looked at. */
  readonly install?: Hop3Install;
}

export async function gatherFacts(probes: SetupProbes, wanted: WantedFacts): Promise<MachineFacts> {
  const platform = parseOsRelease(probes.osRelease());
  const apt = probes.hasProgram("apt-get") && probes.hasProgram("dpkg-query");
  const systemd = probes.systemdIsInit();
  const units: Record<string, UnitState> = {};
  for (const unit of [...MANAGED_UNITS, ...(wanted.install ? [wanted.install.unitName] : [])]) units[unit] = systemd ? await probes.unitState(unit) : { enabled: false, active: false };
  const files: Record<string, string | undefined> = {};
  if (wanted.install) for (const path of [`${UNIT_DIR}/${wanted.install.unitName}`, PATH_WRAPPER]) files[path] = probes.readFile(path);
  return {
    platform,
    root: probes.uid() === 0,
    systemd,
    apt,
    installed: apt ? await probes.installedPackages(wanted.packages) : new Set(),
    programs: new Set(wanted.programs.filter((program) => probes.hasProgram(program))),
    deployUser: await probes.user(wanted.deployUser),
    deployUserName: wanted.deployUser,
    nixStoreOwner: probes.ownerUid("/nix/store"),
    nixDaemonAnswers: await probes.nixDaemonAnswers(),
    nixDaemonPath: probes.programPath("nix-daemon"),
    units,
    files,
    hop3OnPath: hop3OnPath(probes, wanted.install),
    pathDirs: probes.pathDirs(),
    ...(wanted.install && { sshLogin: gatherSshLoginFacts(wanted.install, probes.readFile, probes.ownerUid) }),
  };
}

function hop3OnPath(probes: SetupProbes, install: Hop3Install | undefined): MachineFacts["hop3OnPath"] {
  const path = probes.programPath("hop3");
  if (path === undefined) return undefined;
  const script = install?.command.findLast((word) => isAbsolute(word));
  const resolved = probes.realPath(path);
  return { path, sameInstall: script !== undefined && resolved !== undefined && resolved === probes.realPath(script) };
}

/** Who deploys by default: the user behind sudo, else whoever runs setup. */
export function defaultDeployUser(env: Readonly<Record<string, string | undefined>>): string {
  if (env.SUDO_USER) return env.SUDO_USER;
  try {
    return userInfo().username;
  } catch {
    // A uid with no passwd entry (some containers): `id` takes the number.
    return String(process.getuid?.() ?? 0);
  }
}

const output = (file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string }> =>
  new Promise((resolve) => {
    execFile(file, [...args], { env, timeout: 10_000 }, (error, stdout) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout: String(stdout) });
    });
  });

/** The probes of the machine this runs on. Read-only: nothing here changes the machine. */
export function machineProbes(env: Readonly<Record<string, string | undefined>>): SetupProbes {
  const childEnv = { ...env, LC_ALL: "C" } as NodeJS.ProcessEnv;
  return {
    osRelease: () => readText("/etc/os-release") ?? readText("/usr/lib/os-release"),
    uid: () => process.getuid?.() ?? -1,
    systemdIsInit: () => isDirectory("/run/systemd/system"),
    // Installed means runnable by the apps' users: a tool only under /root (rustup's cargo) is not.
    hasProgram: (name) => findProgram(name, { PATH: pathSearchableByAll(env.PATH ?? "") }) !== undefined,
    programPath: (name) => findProgram(name, env),
    pathDirs: () => (env.PATH ?? "").split(delimiter).filter((dir) => dir !== ""),
    readFile: readText,
    realPath(path) {
      try {
        return realpathSync(path);
      } catch {
        return undefined;
      }
    },
    nixDaemonAnswers: () => nixDaemonAnswers(NIX_DAEMON_SOCKET),
    async installedPackages(names) {
      if (names.length === 0) return new Set();
      // One dpkg-query for all: unknown packages only add lines on stderr.
      const { stdout } = await output("dpkg-query", ["-W", "-f=${Package} ${db:Status-Status}\\n", ...names], childEnv);
      return new Set(
        stdout
          .split("\n")
          .map((line) => line.split(" "))
          .filter(([, status]) => status === "installed")
          .map(([name]) => name!.replace(/:.*$/, "")),
      );
    },
    async user(name) {
      const uid = await output("id", ["-u", "--", name], childEnv);
      if (uid.code !== 0) return undefined;
      const groups = await output("id", ["-Gn", "--", name], childEnv);
      return { name, uid: Number(uid.stdout.trim()), groups: groups.stdout.trim().split(/\s+/).filter(Boolean) };
    },
    ownerUid(path) {
      try {
        return statSync(path).uid;
      } catch {
        return undefined;
      }
    },
    async unitState(unit) {
      const enabled = await output("systemctl", ["is-enabled", "--quiet", unit], childEnv);
      const active = await output("systemctl", ["is-active", "--quiet", unit], childEnv);
      return { enabled: enabled.code === 0, active: active.code === 0 };
    },
  };
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
