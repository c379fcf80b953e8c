import { shellQuote, type RequirementLevel, type SystemRequirement } from "@hop3/core";
import { bootCommandLine, isPathWrapper, PATH_WRAPPER, renderBootUnit, renderPathWrapper, UNIT_DIR, type Hop3Install } from "./boot.js";
import type { MachineFacts } from "./facts.js";
import type { Platform } from "./platform.js";
import { sshLoginSteps } from "./ssh-login.js";

/** One program run of a step: argv plus the variables it needs. Never a shell string. */
export interface SetupCommand {
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/** A file a step writes, whole, before it runs its commands. */
export interface SetupFile {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

/**
 * One thing setup does. `change` steps alter the machine and appear only when needed (so a second run
 * has none); `check` steps only look, and run every time.
 */
export interface SetupStep {
  readonly id: string;
  readonly title: string;
  readonly kind: "packages" | "service" | "user" | "files" | "check";
  /** The requirement it serves ("nix", "docker"...), "system" for apt's index, "ssh-login" for deploy keys' login. */
  readonly component: string;
  /** A failure does not stop the steps after it. */
  readonly optional: boolean;
  readonly commands: readonly SetupCommand[];
  /** Files written (atomically) before the commands run. */
  readonly files?: readonly SetupFile[];
  /** Checks only: the program that must be on PATH (looked up, not run). */
  readonly program?: string;
  /** What to do when it fails. */
  readonly hint: string;
}

/**
 * How Nix runs for the deploying user: through a daemon that builds for every user, or each build in
 * the user's own process (a user other than root, deploying as themselves, without systemd).
 */
export type NixMode = "multi-user" | "single-user";

/** What starts the nix-daemon in multi-user mode: systemd's socket unit, or Hop3 (no systemd). */
export type NixDaemonStarter = "systemd" | "hop3";

export interface PlannedComponent {
  readonly id: string;
  readonly program: string;
  readonly enables: string;
  readonly level: RequirementLevel;
  /** Installed by this run (false: left out by --without, or opt-in and not asked for). */
  readonly selected: boolean;
  readonly packages: readonly string[];
  readonly missingPackages: readonly string[];
  readonly programFound: boolean;
}

export interface SetupPlan {
  readonly platform: Platform;
  readonly root: boolean;
  readonly systemd: boolean;
  readonly deployUser: string;
  /** The Nix mode setup puts in place; undefined without Nix. */
  readonly nixMode: NixMode | undefined;
  /** Who starts the daemon in multi-user mode; undefined otherwise. */
  readonly nixDaemon: NixDaemonStarter | undefined;
  /** The unit that starts Hop3 at boot (systemd), when setup knows how to run this Hop3. */
  readonly bootUnit: string | undefined;
  /** Without systemd: the shell line the init system must run at boot to start this Hop3. */
  readonly bootCommand: string | undefined;
  readonly components: readonly PlannedComponent[];
  /** False where setup cannot install (not Debian/Ubuntu, or no apt): `manualSteps` says what to do. */
  readonly supported: boolean;
  readonly manualSteps: readonly string[];
  /** Changes to make, in order. Empty: nothing to change. */
  readonly steps: readonly SetupStep[];
  /** Checks that run after the changes, every time. */
  readonly checks: readonly SetupStep[];
  /** Things setup does not do but people should know (e.g. no Docker engine without systemd). */
  readonly notes: readonly string[];
}

export interface SetupChoices {
  /** Requirement ids to leave out (`--without`). */
  readonly without: readonly string[];
  /** Opt-in requirement ids to add (`--with`). */
  readonly with: readonly string[];
}

/** Debian's package that creates the nix-users and nixbld groups, the build users and the daemon units. */
export const NIX_SETUP_PACKAGE = "nix-setup-systemd";
const NIX_ID = "nix";
const DOCKER_ID = "docker";
/** The Swarm deployer's registry: Debian's package, whose own service Hop3 does not use. */
const REGISTRY_ID = "docker-registry";
/** The unit Debian's docker-registry enables: a registry on every interface's port 5000, for no one. */
export const DEBIAN_REGISTRY_UNIT = "docker-registry.service";
const APT_ENV = { DEBIAN_FRONTEND: "noninteractive" } as const;

/** Where the nix-daemon's output goes when Hop3 starts it (Nix's own log directory). */
const NIX_LOG_DIR = "/nix/var/log/nix";

/** Who stands for an app user in setup's Nix check: it has no rights of its own. */
const APP_USER_STAND_IN = "nobody";
/** The group that may open the nix-daemon's socket (Debian's nix-setup-systemd makes it). */
export const NIX_SOCKET_GROUP = "nix-users";

/** A derivation with no inputs: building it proves the store, the build users and the daemon work. */
export const NIX_CHECK_EXPRESSION =
  'derivation { name = "hop3-setup-check"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "echo ok > $out" ]; }';

/** Merges the requirements of a distribution's plugins: the first declaration of an id wins. */
export function collectRequirements(plugins: readonly { readonly requirements?: readonly SystemRequirement[] }[]): SystemRequirement[] {
  const byId = new Map<string, SystemRequirement>();
  for (const plugin of plugins) for (const requirement of plugin.requirements ?? []) if (!byId.has(requirement.id)) byId.set(requirement.id, requirement);
  return [...byId.values()];
}

/** Debian packages a requirement may need, Nix's group-and-daemon package included. */
export function packagesOf(requirement: SystemRequirement): readonly string[] {
  const packages = requirement.debianPackages ?? [];
  return requirement.id === NIX_ID && packages.length > 0 ? [...packages, NIX_SETUP_PACKAGE] : packages;
}

/**
 * Decides what setup does on this machine: pure, from facts gathered beforehand, so each decision
 * (systemd or not, root or not, Debian or not, what is installed) is tested with plain objects.
 */
export function planSetup(requirements: readonly SystemRequirement[], facts: MachineFacts, choices: SetupChoices, install?: Hop3Install): SetupPlan {
  const components: PlannedComponent[] = requirements.map((requirement) => {
    const level = requirement.level ?? "required";
    const packages = packagesOf(requirement);
    return {
      id: requirement.id,
      program: requirement.program,
      enables: requirement.enables,
      level,
      selected: !choices.without.includes(requirement.id) && (level !== "opt-in" || choices.with.includes(requirement.id)),
      packages,
      missingPackages: packages.filter((name) => !facts.installed.has(name)),
      programFound: facts.programs.has(requirement.program),
    };
  });
  const selected = components.filter((c) => c.selected);
  const withNix = selected.some((c) => c.id === NIX_ID);
  // Root's Hop3 builds each app as its own user, which only a daemon allows; a user deploying as themselves without systemd builds alone.
  const nixMode: NixMode | undefined = withNix ? (facts.systemd || deploysAsRoot(facts) ? "multi-user" : "single-user") : undefined;
  const nixDaemon: NixDaemonStarter | undefined = nixMode === "multi-user" ? (facts.systemd ? "systemd" : "hop3") : undefined;
  const bootUnit = install && facts.systemd ? install.unitName : undefined;
  const bootCommand = install && !facts.systemd ? bootCommandLine(install, hop3Program(install, facts)) : undefined;
  const base = { platform: facts.platform, root: facts.root, systemd: facts.systemd, deployUser: facts.deployUserName, nixMode, nixDaemon, bootUnit, bootCommand, components };
  const checks = checkSteps(selected, facts, nixMode, install);

  if (!facts.platform.debianFamily || !facts.apt) {
    const why = facts.platform.debianFamily ? "apt-get is not available" : `${facts.platform.name} is not Debian or Ubuntu`;
    const manualSteps = selected
      .filter((c) => !c.programFound)
      .map((c) => `${c.program} (${c.enables}): ${requirements.find((r) => r.id === c.id)?.manualInstall ?? `install ${c.program}`}`);
    if (withNix) {
      manualSteps.push(
        nixMode === "multi-user"
          ? `Nix: use the multi-user (daemon) install${facts.systemd ? ", as systemd runs here" : "; without systemd, Hop3's Nix builder starts the nix-daemon when none answers"}: each app builds as its own user, through the daemon.`
          : "Nix: use the single-user install (no systemd here), with /nix owned by the user who deploys.",
      );
    }
    if (install) {
      manualSteps.push(
        facts.systemd
          ? `Boot: a systemd unit (Type=oneshot, RemainAfterExit=yes) whose ExecStart runs ${install.command.join(" ")} server start with HOP3_HOME=${install.home}; docs/guides/setting-up-a-server.md shows the one setup writes on Debian.`
          : `Boot: have your init system run ${bootCommand}.`,
      );
    }
    return { ...base, supported: false, manualSteps: [`hop3 setup installs packages only on Debian and Ubuntu (${why}). Install by hand:`, ...manualSteps], steps: [], checks, notes: [] };
  }

  const steps: SetupStep[] = [];
  const notes: string[] = [];
  const missing = (list: readonly PlannedComponent[]) => [...new Set(list.flatMap((c) => c.missingPackages))];
  const requiredMissing = missing(selected.filter((c) => c.level === "required"));
  const optionalWithMissing = selected.filter((c) => c.level !== "required" && c.missingPackages.length > 0);
  if (requiredMissing.length > 0 || optionalWithMissing.length > 0) {
    steps.push({
      id: "apt-update",
      title: "refresh apt's package index",
      kind: "packages",
      component: "system",
      // A stale index may still install what is cached; the install step says if it cannot.
      optional: true,
      commands: [{ argv: ["apt-get", "update", "-q"] }],
      hint: "Check that the machine reaches its Debian/Ubuntu mirror (/etc/apt/sources.list).",
    });
  }
  // Waits for another apt or dpkg run to finish instead of failing at once on its lock.
  const aptInstall = (packages: readonly string[]): SetupCommand => ({ argv: ["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=300", "--no-install-recommends", ...packages], env: APT_ENV });
  if (requiredMissing.length > 0) {
    steps.push({
      id: "packages",
      title: `install ${requiredMissing.join(" ")}`,
      kind: "packages",
      component: selected.filter((c) => c.level === "required" && c.missingPackages.length > 0).map((c) => c.id).join(","),
      optional: false,
      commands: [aptInstall(requiredMissing)],
      hint: "Read apt's last lines above; `apt-get install` of the same packages by hand shows the whole story.",
    });
  }
  for (const component of optionalWithMissing) {
    steps.push({
      id: `packages-${component.id}`,
      title: `install ${component.missingPackages.join(" ")} (${component.id})`,
      kind: "packages",
      component: component.id,
      optional: true,
      commands: [aptInstall(component.missingPackages)],
      hint: `Read apt's last lines above, or leave ${component.id} out with --without ${component.id}.`,
    });
  }

  if (nixDaemon === "hop3" && !facts.nixDaemonAnswers) {
    steps.push({
      id: "nix-daemon-start",
      title: "start a nix-daemon (no systemd here: each app builds as its own user, through it)",
      kind: "service",
      component: NIX_ID,
      optional: false,
      // As Hop3's Nix builder starts it: detached, from /, its output in Nix's log directory. --oknodo: one already running is left alone.
      commands: [
        { argv: ["mkdir", "-p", NIX_LOG_DIR] },
        { argv: ["start-stop-daemon", "--start", "--background", "--oknodo", "--name", "nix-daemon", "--chdir", "/", "--output", `${NIX_LOG_DIR}/nix-daemon.log`, "--startas", facts.nixDaemonPath ?? "/usr/bin/nix-daemon", "--", "--daemon"] },
      ],
      hint: `Read ${NIX_LOG_DIR}/nix-daemon.log; after a reboot, Hop3's Nix builder starts the daemon again at the first build.`,
    });
  }
  if (nixDaemon === "systemd") {
    const unit = facts.units["nix-daemon.socket"];
    if (!unit?.enabled || !unit.active) {
      steps.push({
        id: "nix-daemon",
        title: "enable and start the Nix daemon (nix-daemon.socket)",
        kind: "service",
        component: NIX_ID,
        optional: false,
        commands: [{ argv: ["systemctl", "enable", "--now", "nix-daemon.socket"] }],
        hint: "`systemctl status nix-daemon.socket nix-daemon.service` and `journalctl -u nix-daemon` say why it does not start.",
      });
    }
    const user = facts.deployUser;
    if (user && user.uid !== 0 && !user.groups.includes("nix-users")) {
      steps.push({
        id: "nix-users",
        title: `let ${user.name} use the Nix daemon (group nix-users)`,
        kind: "user",
        component: NIX_ID,
        optional: false,
        commands: [{ argv: ["usermod", "--append", "--groups", "nix-users", user.name] }],
        hint: `Add ${user.name} to nix-users by hand (usermod -aG nix-users ${user.name}); it takes effect at their next login.`,
      });
    }
  } else if (nixMode === "single-user") {
    const user = facts.deployUser;
    // Without a daemon, whoever builds writes the store: a deploying user other than root must own /nix.
    if (user && user.uid !== 0 && facts.nixStoreOwner !== user.uid) {
      steps.push({
        id: "nix-store-owner",
        title: `give /nix to ${user.name} (single-user Nix)`,
        kind: "files",
        component: NIX_ID,
        optional: false,
        commands: [{ argv: ["chown", "-R", "--", `${user.name}:`, "/nix"] }],
        hint: `Run chown -R ${user.name}: /nix by hand, or deploy as root.`,
      });
    }
  }

  if (selected.some((c) => c.id === DOCKER_ID)) {
    if (facts.systemd) {
      const unit = facts.units["docker.service"];
      if (!unit?.enabled || !unit.active) {
        steps.push({
          id: "docker-engine",
          title: "enable and start the Docker engine (docker.service)",
          kind: "service",
          component: DOCKER_ID,
          optional: true,
          commands: [{ argv: ["systemctl", "enable", "--now", "docker.service"] }],
          hint: "`systemctl status docker` and `journalctl -u docker` say why it does not start; --without docker leaves it out.",
        });
      }
    } else {
      notes.push("No systemd here: the Docker engine is installed but not started. Start one (e.g. `bash scripts/start-dockerd.sh` in this repository) and set DOCKER_HOST.");
    }
  }
  // Hop3 runs its registry on loopback, as its own user, under HOP3_HOME: Debian's, listening on
  // every interface, would only expose a second, unused registry.
  if (selected.some((c) => c.id === REGISTRY_ID) && facts.systemd) {
    const unit = facts.units[DEBIAN_REGISTRY_UNIT];
    if (unit?.enabled || unit?.active) {
      steps.push({
        id: "docker-registry-unit",
        title: `disable Debian's own registry (${DEBIAN_REGISTRY_UNIT}): Hop3 runs its registry on 127.0.0.1 under HOP3_HOME`,
        kind: "service",
        component: REGISTRY_ID,
        optional: true,
        commands: [{ argv: ["systemctl", "disable", "--now", DEBIAN_REGISTRY_UNIT] }],
        hint: `\`systemctl status ${DEBIAN_REGISTRY_UNIT}\` says what holds it; Hop3 does not need it to run.`,
      });
    }
  }
  if (install) {
    if (facts.sshLogin) steps.push(...sshLoginSteps(install, facts.sshLogin, notes));
    steps.push(...pathSteps(install, facts, notes));
    steps.push(...bootSteps(install, facts, notes, nixDaemon, bootCommand));
  }
  if (facts.deployUser === undefined) notes.push(`There is no user "${facts.deployUserName}": setup gives nothing to them (--user names who deploys).`);
  return { ...base, supported: true, manualSteps: [], steps, checks, notes };
}

/** How people run this install after setup, as a shell word: `hop3` on PATH when it is this install, else its command. */
function hop3Program(install: Hop3Install, facts: MachineFacts): string {
  const onPath = facts.hop3OnPath;
  if (onPath !== undefined && onPath.path !== PATH_WRAPPER) return onPath.sameInstall ? shellQuote(onPath.path) : install.command.map(shellQuote).join(" ");
  const existing = facts.files[PATH_WRAPPER];
  return existing === undefined || isPathWrapper(existing) ? PATH_WRAPPER : install.command.map(shellQuote).join(" ");
}

/** Root deploys (the default on a server): Hop3 then runs each app as its own user. */
const deploysAsRoot = (facts: MachineFacts): boolean => (facts.deployUser?.uid ?? (facts.deployUserName === "root" ? 0 : -1)) === 0;

/**
 * `hop3` on PATH after setup: a small script at /usr/local/bin/hop3 that runs this install, made
 * when no `hop3` is on PATH, rewritten when it is setup's own; anything else is left alone.
 */
function pathSteps(install: Hop3Install, facts: MachineFacts, notes: string[]): SetupStep[] {
  const content = renderPathWrapper(install);
  const existing = facts.files[PATH_WRAPPER];
  const onPath = facts.hop3OnPath;
  const ours = isPathWrapper(existing);
  if (onPath !== undefined && onPath.path !== PATH_WRAPPER) {
    if (!onPath.sameInstall) notes.push(`\`hop3\` on PATH is ${onPath.path}, another install than this one (${install.command.at(-1)}): setup leaves it as it is.`);
    return [];
  }
  if (existing !== undefined && !ours) {
    notes.push(`${PATH_WRAPPER} was not made by hop3 setup: it is left as it is.`);
    return [];
  }
  if (existing === content) return [];
  if (onPath === undefined && !facts.pathDirs.includes("/usr/local/bin")) notes.push(`/usr/local/bin is not on this PATH: add it to find \`hop3\` there.`);
  return [
    {
      id: "hop3-on-path",
      title: `put hop3 on PATH (${PATH_WRAPPER}, running this install)`,
      kind: "files",
      component: "hop3",
      optional: false,
      commands: [],
      files: [{ path: PATH_WRAPPER, content, mode: 0o755 }],
      hint: `Write ${PATH_WRAPPER} by hand (its content is shown by hop3 setup --dry-run), or run hop3 by its full path.`,
    },
  ];
}

/**
 * Hop3's services at boot: with systemd, a unit enabled (and started now); without, a note saying
 * what the init system must run. Apps need no build to start, so the nix-daemon is not part of it.
 */
function bootSteps(install: Hop3Install, facts: MachineFacts, notes: string[], nixDaemon: NixDaemonStarter | undefined, bootCommand: string | undefined): SetupStep[] {
  if (!facts.systemd) {
    notes.push(
      `No systemd here: nothing starts Hop3 at boot. Have your init system run, at boot: ${bootCommand}` +
        (nixDaemon === "hop3" ? " (the nix-daemon is started again by the first build after it)." : "."),
    );
    return [];
  }
  const path = `${UNIT_DIR}/${install.unitName}`;
  const content = renderBootUnit(install);
  const state = facts.units[install.unitName];
  const changed = facts.files[path] !== content;
  if (!changed && state?.enabled && state.active) return [];
  if (changed && state?.active) notes.push(`${install.unitName} already runs: its new settings apply at the next boot, or now with \`systemctl restart ${install.unitName}\` (every app restarts).`);
  return [
    {
      id: "boot",
      title: `start Hop3 at boot (${install.unitName}, enabled and started)`,
      kind: "service",
      component: "hop3",
      optional: false,
      files: changed ? [{ path, content, mode: 0o644 }] : [],
      commands: [...(changed ? [{ argv: ["systemctl", "daemon-reload"] }] : []), { argv: ["systemctl", "enable", "--now", install.unitName] }],
      hint: `\`systemctl status ${install.unitName}\` and \`journalctl -u ${install.unitName}\` say why it does not start.`,
    },
  ];
}

function checkSteps(selected: readonly PlannedComponent[], facts: MachineFacts, nixMode: NixMode | undefined, install: Hop3Install | undefined): SetupStep[] {
  const checks: SetupStep[] = selected.map((c) => ({
    id: `check-${c.id}`,
    title: `${c.program} is on PATH, for ${c.enables}`,
    kind: "check",
    component: c.id,
    optional: c.level !== "required",
    commands: [],
    program: c.program,
    hint: c.packages.length > 0 ? `Install ${c.packages.join(" ")} (hop3 setup --yes does).` : `Install ${c.program}; no Debian package provides it for hop3.`,
  }));
  if (nixMode !== undefined) {
    const user = facts.deployUser;
    const build = ["nix-build", "--no-out-link", "--option", "substitute", "false", "-E", NIX_CHECK_EXPRESSION];
    if (deploysAsRoot(facts)) {
      // Root's Hop3 builds as each app's user, through the daemon: an unprivileged user with the group
      // that opens the daemon's socket stands for them.
      checks.push({
        id: "check-nix-build",
        title: "nix-build works for app users, through the nix-daemon (multi-user)",
        kind: "check",
        component: NIX_ID,
        optional: false,
        commands: [{ argv: ["runuser", "-u", APP_USER_STAND_IN, "-G", NIX_SOCKET_GROUP, "--", "env", "NIX_REMOTE=daemon", ...build] }],
        hint: `A nix-daemon must answer on /nix/var/nix/daemon-socket/socket (${facts.systemd ? "systemctl status nix-daemon.socket" : "hop3 doctor says whether one does"}), and its directory let the group ${NIX_SOCKET_GROUP} in.`,
      });
    } else {
      const asOther = user !== undefined && facts.root && user.uid !== 0;
      checks.push({
        id: "check-nix-build",
        title: `nix-build works for ${user?.name ?? facts.deployUserName} (${nixMode})`,
        kind: "check",
        component: NIX_ID,
        optional: false,
        // As that user, from a directory they can read, so their own store access is what is tested.
        commands: [{ argv: asOther ? ["runuser", "-u", user.name, "--", ...build] : build }],
        hint:
          nixMode === "multi-user"
            ? "The daemon must run (systemctl status nix-daemon.socket) and the user be in nix-users (log in again after setup added them)."
            : "Without a daemon the user who builds must own /nix (chown -R USER: /nix), or build as root.",
      });
    }
  }
  if (install) {
    checks.push({
      id: "check-hop3-on-path",
      title: "hop3 is on PATH and runs",
      kind: "check",
      component: "hop3",
      optional: false,
      commands: [{ argv: ["hop3", "--version"] }],
      program: "hop3",
      hint: `Put ${PATH_WRAPPER}'s directory on PATH, or run hop3 by its full path.`,
    });
  }
  return checks;
}

/** A file write as people would type it: a here-document into `install`, which sets the mode. */
export function renderFile(file: SetupFile, prefix = ""): string {
  const mode = file.mode.toString(8).padStart(4, "0");
  return `${prefix ? `${prefix} ` : ""}install -m ${mode} /dev/stdin ${shellQuote(file.path)} <<'HOP3_EOF'\n${file.content.replace(/\n$/, "")}\nHOP3_EOF`;
}

/** A command as people would type it, quoted for a POSIX shell. */
export function renderCommand(command: SetupCommand, prefix = ""): string {
  const env = Object.entries(command.env ?? {}).map(([key, value]) => `${key}=${shellQuote(value)}`);
  // sudo refuses most VAR=value words (env_reset); `env` passes them on.
  return [prefix, ...(prefix && env.length > 0 ? ["env"] : []), ...env, ...command.argv.map(shellQuote)].filter(Boolean).join(" ");
}
