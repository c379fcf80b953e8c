import { isAbsolute } from "node:path";
import { hop3ConfigFile, resolveHop3Home, shellQuote, SYSTEM_HOME, userPrefix } from "@hop3/core";

/** Where setup puts the units it makes, and the `hop3` it puts on PATH. */
export const UNIT_DIR = "/etc/systemd/system";
export const PATH_WRAPPER = "/usr/local/bin/hop3";

/** The second line of the wrapper setup makes: how it knows the file is its own to rewrite. */
const WRAPPER_MARKER = "# Made by `hop3 setup`";

/** Variables the services need whatever Hop3 reads them for: its own settings, and the Docker engine's address. */
const CARRIED = /^(HOP3_[A-Z0-9_]+|DOCKER_HOST)$/;
/** Never carried: test hooks, what the unit sets itself, and the client's choice of remote (the server runs its commands itself). */
const NOT_CARRIED = new Set(["HOP3_HOME", "HOP3_CONFIG", "HOP3_TEST_CRASH_AT", "HOP3_REMOTE"]);

/** This Hop3, as the boot unit and the PATH wrapper run it. */
export interface Hop3Install {
  /** The argv that runs this install's CLI (`OperationContext.hop3Command`): node, its flags, the script. */
  readonly command: readonly string[];
  /** Its HOP3_HOME, resolved as `hop3 setup` resolves it (root's default: /var/lib/hop3). */
  readonly home: string;
  /** The config file it reads (it need not exist yet). */
  readonly configFile?: string;
  /** Hop3's settings found in setup's environment (HOP3_HTTP_PORT, DOCKER_HOST...), given to the services. */
  readonly settings: Readonly<Record<string, string>>;
  /** `hop3.service` for /var/lib/hop3, else `hop3-<user prefix>.service`: one unit per HOP3_HOME. */
  readonly unitName: string;
}

/** The install `hop3 setup` prepares: the one it runs from, with the HOP3_HOME and config of its environment. */
export function describeInstall(command: readonly string[], env: Readonly<Record<string, string | undefined>>): Hop3Install {
  const home = resolveHop3Home(env);
  const configFile = hop3ConfigFile(env);
  const settings = Object.fromEntries(
    Object.entries(env)
      .filter((entry): entry is [string, string] => CARRIED.test(entry[0]) && !NOT_CARRIED.has(entry[0]) && entry[1] !== undefined && entry[1] !== "")
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  return { command, home, ...(configFile !== undefined && { configFile }), settings, unitName: bootUnitName(home, env) };
}

/** The unit of a HOP3_HOME, named after its user prefix so two homes on one machine never share one. */
export function bootUnitName(home: string, env: Readonly<Record<string, string | undefined>>): string {
  const prefix = userPrefix({ home, env });
  return home === SYSTEM_HOME && prefix === "hop3" ? "hop3.service" : `hop3-${prefix}.service`;
}

/** A word of ExecStart= or Environment=: quoted for systemd, `%` (specifiers) and, in commands, `$` (variables) doubled. */
export function systemdQuote(word: string, { command = false }: { command?: boolean } = {}): string {
  let escaped = word.replace(/%/g, "%%");
  if (command) escaped = escaped.replace(/\$/g, "$$$$");
  if (/^[A-Za-z0-9_@%$+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** Paths under these directories are hidden from the unit by PrivateTmp=. */
const TEMPORARY = ["/tmp/", "/var/tmp/"];
const isTemporary = (path: string) => TEMPORARY.some((dir) => `${path}/`.startsWith(dir));

/** Paths the unit's processes use: PrivateTmp= must not hide any of them. */
function pathsUsed(install: Hop3Install): string[] {
  const docker = /^unix:\/\/(\/.*)$/.exec(install.settings.DOCKER_HOST ?? "")?.[1];
  return [install.home, ...(install.configFile ? [install.configFile] : []), ...install.command.filter(isAbsolute), ...(docker ? [docker] : [])];
}

/**
 * The systemd unit that starts this Hop3 at boot: a oneshot that runs `hop3 server start` and stays
 * active (nginx and the uWSGI emperor outlive the command), `hop3 server stop` when stopped. It is
 * sandboxed as far as an emperor that drops to each app's user, writes cgroups and creates users
 * allows; each option says why it is there, and the guide says why the others are not.
 */
export function renderBootUnit(install: Hop3Install): string {
  const run = (action: string) => [...install.command, "server", action].map((word) => systemdQuote(word, { command: true })).join(" ");
  const environment = [["HOP3_HOME", install.home], ...(install.configFile ? [["HOP3_CONFIG", install.configFile]] : []), ...Object.entries(install.settings)];
  const hidden = pathsUsed(install).find(isTemporary);
  return [
    "# Made by `hop3 setup`: starts this Hop3's router and process supervisor at boot.",
    "# hop3 setup rewrites this file; `systemctl disable --now UNIT` then removing it undoes it.",
    "[Unit]",
    `Description=Hop3 (router and process supervisor of ${install.home})`,
    "Documentation=https://github.com/abilian/hop3-builders/blob/main/docs/guides/setting-up-a-server.md",
    "# nginx may listen on an address of the network; Docker apps need the engine.",
    "Wants=network-online.target",
    "After=network-online.target nix-daemon.socket docker.service",
    "",
    "[Service]",
    "# nginx and the uWSGI emperor outlive `hop3 server start`: the unit stays active after it exits.",
    "Type=oneshot",
    "RemainAfterExit=yes",
    ...environment.map(([name, value]) => `Environment=${systemdQuote(`${name}=${value}`)}`),
    `ExecStart=${run("start")}`,
    `ExecStop=${run("stop")}`,
    "TimeoutStartSec=300",
    "# Sandbox. The emperor and nginx start as root and drop to each app's user and the web user",
    "# (setuid, not a setuid program), so no new privileges are ever needed.",
    "NoNewPrivileges=yes",
    "# /usr and /boot read-only; not /etc: Hop3 creates app and web users (useradd writes /etc).",
    "ProtectSystem=true",
    "# Homes read-only; HOP3_HOME stays writable wherever it is.",
    "ProtectHome=read-only",
    `ReadWritePaths=${systemdQuote(`-${install.home}`)}`,
    ...(hidden === undefined
      ? ["# Apps share no /tmp with the host (each has its own TMPDIR under HOP3_HOME).", "PrivateTmp=yes"]
      : [`# No PrivateTmp=: it would hide ${hidden}, which this Hop3 uses.`]),
    "# App users do not see each other's processes in /proc (root, the supervisor, still does).",
    "ProtectProc=invisible",
    "ProtectHostname=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "RestrictSUIDSGID=yes",
    "RestrictRealtime=yes",
    "LockPersonality=yes",
    "# Not set, because they break what runs here: ProtectControlGroups= and ProtectKernelTunables=",
    "# (limits are written in /sys/fs/cgroup), MemoryDenyWriteExecute= (JITs: Node, Java, PyPy),",
    "# PrivateDevices=/ProtectClock= (apps may use devices), RestrictNamespaces=/SystemCallFilter=/",
    "# RestrictAddressFamilies= (apps are arbitrary programs), CapabilityBoundingSet= (the emperor",
    "# needs nearly all of root's to drop to users, chown, set limits; apps drop every capability).",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** The `hop3` setup puts on PATH: a script that runs this install's CLI with the caller's arguments. */
export function renderPathWrapper(install: Pick<Hop3Install, "command">): string {
  return ["#!/bin/sh", `${WRAPPER_MARKER}: runs this install's hop3. hop3 setup rewrites this file; delete it to undo.`, `exec ${install.command.map(shellQuote).join(" ")} "$@"`, ""].join("\n");
}

/** Whether a file is a wrapper setup made (and may rewrite). */
export const isPathWrapper = (content: string | undefined): boolean => content?.split("\n")[1]?.startsWith(WRAPPER_MARKER) === true;

/** Without systemd: what to have the init system run at boot, as a shell line (`program` already quoted). */
export function bootCommandLine(install: Hop3Install, program: string): string {
  const environment = [["HOP3_HOME", install.home], ...(install.configFile ? [["HOP3_CONFIG", install.configFile]] : []), ...Object.entries(install.settings)];
  return [...environment.map(([name, value]) => `${name}=${shellQuote(value!)}`), program, "server", "start"].join(" ");
}
