import type { SystemRequirement } from "@hop3/core";
import { describe, expect, it } from "vitest";
import {
  collectRequirements,
  describeInstall,
  detectNixMode,
  gatherFacts,
  isPathWrapper,
  parseOsRelease,
  PATH_WRAPPER,
  planSetup,
  renderBootUnit,
  renderCommand,
  renderFile,
  renderPathWrapper,
  systemdQuote,
  type Hop3Install,
  type MachineFacts,
  type NixModeProbes,
  type SetupProbes,
} from "../src/index.js";

const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n';
const UBUNTU = 'PRETTY_NAME="Ubuntu 24.04 LTS"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n';
const FEDORA = 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=40\nPRETTY_NAME="Fedora Linux 40 (Server Edition)"\n';

const requirements: SystemRequirement[] = [
  { id: "nix", program: "nix-build", debianPackages: ["nix-bin"], enables: "apps with a hop3.nix", manualInstall: "Install Nix." },
  { id: "docker", program: "docker", debianPackages: ["docker.io"], enables: "apps with a Dockerfile", level: "optional" },
  { id: "uwsgi", program: "uwsgi", debianPackages: ["uwsgi-core", "uwsgi-plugin-python3"], enables: "processes" },
  { id: "nginx", program: "nginx", debianPackages: ["nginx"], enables: "every app" },
  { id: "go", program: "go", debianPackages: ["golang-go"], enables: "Go apps", level: "opt-in" },
];
const ALL_PACKAGES = ["nix-bin", "nix-setup-systemd", "docker.io", "uwsgi-core", "uwsgi-plugin-python3", "nginx", "golang-go"];
const ALL_PROGRAMS = ["nix-build", "docker", "uwsgi", "nginx", "go"];

/** A machine where everything is installed, as root, without systemd: what each test then changes. */
function facts(overrides: Partial<MachineFacts> = {}): MachineFacts {
  return {
    platform: parseOsRelease(DEBIAN),
    root: true,
    systemd: false,
    apt: true,
    installed: new Set(ALL_PACKAGES),
    programs: new Set(ALL_PROGRAMS),
    deployUser: { name: "root", uid: 0, groups: ["root"] },
    deployUserName: "root",
    nixStoreOwner: 0,
    nixDaemonAnswers: true,
    nixDaemonPath: "/usr/bin/nix-daemon",
    units: { "nix-daemon.socket": { enabled: true, active: true }, "docker.service": { enabled: true, active: true } },
    files: {},
    hop3OnPath: undefined,
    pathDirs: ["/usr/local/bin", "/usr/bin", "/bin"],
    ...overrides,
  };
}
const none = { without: [], with: [] };
const ids = (plan: { steps: readonly { id: string }[] }) => plan.steps.map((s) => s.id);
const deployer = { name: "deploy", uid: 1000, groups: ["deploy"] };

describe("the platform, from /etc/os-release", () => {
  it("knows Debian and its derivatives, and nothing else", () => {
    expect(parseOsRelease(DEBIAN)).toMatchObject({ id: "debian", versionId: "12", name: "Debian GNU/Linux 12 (bookworm)", debianFamily: true });
    expect(parseOsRelease(UBUNTU)).toMatchObject({ id: "ubuntu", idLike: ["debian"], debianFamily: true });
    expect(parseOsRelease('ID=linuxmint\nID_LIKE="ubuntu debian"\n').debianFamily).toBe(true);
    expect(parseOsRelease(FEDORA)).toMatchObject({ id: "fedora", debianFamily: false });
    expect(parseOsRelease(undefined)).toMatchObject({ id: "unknown", debianFamily: false });
  });
});

describe("planSetup", () => {
  it("has nothing to change where everything is in place, and still checks", () => {
    const plan = planSetup(requirements, facts(), none);
    expect(plan.steps).toEqual([]);
    expect(plan.supported).toBe(true);
    expect(plan.checks.map((c) => c.id)).toEqual(["check-nix", "check-docker", "check-uwsgi", "check-nginx", "check-nix-build"]);
  });

  it("installs only the missing packages: required ones together, each optional one on its own", () => {
    const plan = planSetup(requirements, facts({ installed: new Set(["nix-bin", "nix-setup-systemd", "uwsgi-core", "nginx"]) }), none);
    expect(ids(plan)).toEqual(["apt-update", "packages", "packages-docker"]);
    expect(plan.steps[1]!.commands[0]!.argv).toEqual(["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=300", "--no-install-recommends", "uwsgi-plugin-python3"]);
    expect(plan.steps[1]!.optional).toBe(false);
    expect(plan.steps[2]).toMatchObject({ optional: true, component: "docker" });
    expect(renderCommand(plan.steps[2]!.commands[0]!)).toBe("DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends docker.io");
    expect(renderCommand(plan.steps[2]!.commands[0]!, "sudo")).toBe("sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends docker.io");
    expect(renderCommand({ argv: ["nix-build", "-E", "a b's"] })).toBe("nix-build -E 'a b'\\''s'");
  });

  it("installs Nix with Debian's package of build users and daemon units", () => {
    const plan = planSetup(requirements, facts({ installed: new Set(["docker.io", "uwsgi-core", "uwsgi-plugin-python3", "nginx"]) }), none);
    expect(plan.steps[1]!.commands[0]!.argv.slice(-2)).toEqual(["nix-bin", "nix-setup-systemd"]);
  });

  it("leaves out what --without names, and adds opt-in requirements only with --with", () => {
    const bare = facts({ installed: new Set() });
    const plain = planSetup(requirements, bare, { without: ["docker", "nix"], with: [] });
    expect(plain.steps.flatMap((s) => s.commands.flatMap((c) => c.argv))).not.toContain("docker.io");
    expect(plain.steps.flatMap((s) => s.commands.flatMap((c) => c.argv))).not.toContain("golang-go");
    expect(plain.nixMode).toBeUndefined();
    expect(plain.checks.map((c) => c.id)).not.toContain("check-nix-build");
    const withGo = planSetup(requirements, bare, { without: [], with: ["go"] });
    expect(ids(withGo)).toContain("packages-go");
    expect(withGo.components.find((c) => c.id === "go")?.selected).toBe(true);
  });

  it("disables Debian's own registry service where the Swarm registry is wanted: Hop3 runs its own on loopback", () => {
    const withRegistry = [...requirements, { id: "docker-registry", program: "docker-registry", debianPackages: ["docker-registry"], enables: "the swarm's images", level: "optional" as const }];
    const running = { ...facts().units, "docker-registry.service": { enabled: true, active: true } };
    const plan = planSetup(withRegistry, facts({ systemd: true, units: running, installed: new Set([...ALL_PACKAGES, "docker-registry"]) }), none);
    expect(ids(plan)).toEqual(["docker-registry-unit"]);
    expect(plan.steps[0]).toMatchObject({ optional: true, component: "docker-registry", commands: [{ argv: ["systemctl", "disable", "--now", "docker-registry.service"] }] });
    const off = { ...running, "docker-registry.service": { enabled: false, active: false } };
    expect(planSetup(withRegistry, facts({ systemd: true, units: off, installed: new Set([...ALL_PACKAGES, "docker-registry"]) }), none).steps).toEqual([]);
    // Without the Swarm deployer's requirement, Debian's service is none of setup's business.
    expect(planSetup(requirements, facts({ systemd: true, units: running }), none).steps).toEqual([]);
  });

  describe("Nix mode", () => {
    it("is multi-user with systemd: the daemon is enabled and the deploying user joins nix-users", () => {
      const plan = planSetup(requirements, facts({ systemd: true, units: {}, deployUser: deployer, deployUserName: "deploy" }), none);
      expect(plan.nixMode).toBe("multi-user");
      expect(ids(plan)).toEqual(["nix-daemon", "nix-users", "docker-engine"]);
      expect(plan.steps[0]!.commands[0]!.argv).toEqual(["systemctl", "enable", "--now", "nix-daemon.socket"]);
      expect(plan.steps[1]!.commands[0]!.argv).toEqual(["usermod", "--append", "--groups", "nix-users", "deploy"]);
      expect(plan.checks.at(-1)!.commands[0]!.argv.slice(0, 5)).toEqual(["runuser", "-u", "deploy", "--", "nix-build"]);
      expect(plan.notes).toEqual([]);
    });

    it("changes nothing more once the daemon runs and the user is in nix-users", () => {
      const ready = facts({ systemd: true, deployUser: { ...deployer, groups: ["deploy", "nix-users"] }, deployUserName: "deploy" });
      expect(planSetup(requirements, ready, none).steps).toEqual([]);
    });

    it("is single-user without systemd: a deploying user other than root gets /nix", () => {
      const plan = planSetup(requirements, facts({ deployUser: deployer, deployUserName: "deploy" }), none);
      expect(plan.nixMode).toBe("single-user");
      expect(ids(plan)).toEqual(["nix-store-owner"]);
      expect(plan.steps[0]!.commands[0]!.argv).toEqual(["chown", "-R", "--", "deploy:", "/nix"]);
      expect(planSetup(requirements, facts({ deployUser: deployer, deployUserName: "deploy", nixStoreOwner: 1000 }), none).steps).toEqual([]);
    });

    it("is multi-user without systemd when root deploys: each app builds as its own user through a daemon, which setup starts when none answers", () => {
      const plan = planSetup(requirements, facts({ nixDaemonAnswers: false }), none);
      expect(plan).toMatchObject({ nixMode: "multi-user", nixDaemon: "hop3" });
      expect(ids(plan)).toEqual(["nix-daemon-start"]);
      expect(plan.steps[0]!.commands.map((c) => c.argv)).toEqual([
        ["mkdir", "-p", "/nix/var/log/nix"],
        ["start-stop-daemon", "--start", "--background", "--oknodo", "--name", "nix-daemon", "--chdir", "/", "--output", "/nix/var/log/nix/nix-daemon.log", "--startas", "/usr/bin/nix-daemon", "--", "--daemon"],
      ]);
      // The check builds as an unprivileged user with the group that opens the daemon's socket, as an app would.
      expect(plan.checks.at(-1)!.commands[0]!.argv.slice(0, 9)).toEqual(["runuser", "-u", "nobody", "-G", "nix-users", "--", "env", "NIX_REMOTE=daemon", "nix-build"]);
      expect(plan.checks.at(-1)!.commands[0]!.argv).toContain("substitute");
      expect(plan.notes.join(" ")).toMatch(/Docker engine is installed but not started/);
      // A daemon that answers already is left alone.
      expect(ids(planSetup(requirements, facts(), none))).toEqual([]);
    });

    it("checks the app users' way with systemd too, when root deploys", () => {
      const plan = planSetup(requirements, facts({ systemd: true }), none);
      expect(plan).toMatchObject({ nixMode: "multi-user", nixDaemon: "systemd" });
      expect(plan.checks.at(-1)!.title).toBe("nix-build works for app users, through the nix-daemon (multi-user)");
      expect(ids(plan)).toEqual([]);
    });
  });

  it("gives manual steps, and no commands, on a system that is not Debian or Ubuntu", () => {
    const plan = planSetup(requirements, facts({ platform: parseOsRelease(FEDORA), apt: false, programs: new Set(["nginx"]) }), none);
    expect(plan.supported).toBe(false);
    expect(plan.steps).toEqual([]);
    expect(plan.manualSteps[0]).toContain("Fedora Linux 40");
    expect(plan.manualSteps.join("\n")).toContain("nix-build (apps with a hop3.nix): Install Nix.");
    expect(plan.manualSteps.join("\n")).not.toContain("nginx (");
    expect(plan.manualSteps.at(-1)).toContain("multi-user (daemon) install; without systemd, Hop3's Nix builder starts the nix-daemon");
    const asUser = planSetup(requirements, facts({ platform: parseOsRelease(FEDORA), apt: false, deployUser: deployer, deployUserName: "deploy" }), none);
    expect(asUser.manualSteps.at(-1)).toContain("single-user");
  });

  it("treats a Debian machine without apt-get like an unsupported one", () => {
    expect(planSetup(requirements, facts({ apt: false }), none)).toMatchObject({ supported: false, steps: [] });
  });

  it("plans the same changes whether or not it runs as root (the command refuses to run them without)", () => {
    const missing = facts({ installed: new Set(["nix-bin"]) });
    expect(ids(planSetup(requirements, { ...missing, root: false }, none))).toEqual(ids(planSetup(requirements, missing, none)));
  });
});

describe("gatherFacts", () => {
  const probes = (overrides: Partial<SetupProbes> = {}): SetupProbes => ({
    osRelease: () => UBUNTU,
    uid: () => 1000,
    systemdIsInit: () => true,
    hasProgram: (name) => ["apt-get", "dpkg-query", "nginx"].includes(name),
    installedPackages: async (names) => new Set(names.filter((n) => n === "nginx")),
    user: async (name) => (name === "deploy" ? deployer : undefined),
    ownerUid: () => undefined,
    unitState: async (unit) => ({ enabled: unit === "docker.service", active: false }),
    programPath: (name) => (name === "nginx" ? "/usr/sbin/nginx" : undefined),
    pathDirs: () => ["/usr/bin"],
    readFile: () => undefined,
    realPath: (path) => path,
    nixDaemonAnswers: async () => false,
    ...overrides,
  });

  it("asks the probes and nothing else", async () => {
    const gathered = await gatherFacts(probes(), { packages: ALL_PACKAGES, programs: ALL_PROGRAMS, deployUser: "deploy" });
    expect(gathered).toMatchObject({ root: false, systemd: true, apt: true, deployUser: deployer, nixStoreOwner: undefined });
    expect([...gathered.installed]).toEqual(["nginx"]);
    expect([...gathered.programs]).toEqual(["nginx"]);
    expect(gathered.units["docker.service"]).toEqual({ enabled: true, active: false });
  });

  it("reads no unit without systemd, and no package without apt", async () => {
    const asked: string[] = [];
    const gathered = await gatherFacts(
      probes({ systemdIsInit: () => false, hasProgram: () => false, unitState: async (u) => (asked.push(u), { enabled: true, active: true }) }),
      { packages: ALL_PACKAGES, programs: [], deployUser: "nobody-here" },
    );
    expect(asked).toEqual([]);
    expect(gathered).toMatchObject({ apt: false, systemd: false, deployUser: undefined });
    expect(gathered.installed.size).toBe(0);
    expect(planSetup(requirements, gathered, none).supported).toBe(false);
  });
});

describe("collectRequirements", () => {
  it("merges the plugins' requirements, the first declaration of an id winning", () => {
    const merged = collectRequirements([{ requirements: [requirements[0]!] }, {}, { requirements: [{ ...requirements[0]!, program: "other" }, requirements[3]!] }]);
    expect(merged.map((r) => [r.id, r.program])).toEqual([["nix", "nix-build"], ["nginx", "nginx"]]);
  });
});

describe("detectNixMode", () => {
  const probes = (files: Record<string, "socket" | "dir">, writable: string[]): NixModeProbes => ({
    exists: (path) => path in files,
    isSocket: (path) => files[path] === "socket",
    canWrite: (path) => writable.includes(path),
  });
  const socket = "/nix/var/nix/daemon-socket/socket";

  const user = (daemonAnswers: boolean) => ({ root: false, daemonAnswers });

  it("says multi-user where a daemon answers, usable when this user may use its socket", () => {
    expect(detectNixMode({}, user(true), probes({ "/nix/store": "dir", "/nix/var/nix/daemon-socket": "dir", [socket]: "socket" }, ["/nix/var/nix/daemon-socket", socket]))).toMatchObject({ mode: "multi-user", usable: true, daemon: "answering" });
    expect(detectNixMode({}, user(true), probes({ "/nix/store": "dir", [socket]: "socket" }, []))).toMatchObject({ mode: "multi-user", usable: false });
    expect(detectNixMode({ NIX_REMOTE: "daemon" }, user(false), probes({ "/nix/store": "dir" }, ["/nix/store", "/nix/var/nix/db"]))).toMatchObject({ mode: "multi-user", usable: false, daemon: "absent" });
  });

  it("says so when this user may not enter the socket's directory (not in nix-users)", () => {
    const report = detectNixMode({}, user(false), probes({ "/nix/store": "dir", "/nix/var/nix/daemon-socket": "dir" }, ["/nix/store", "/nix/var/nix/db"]));
    expect(report).toMatchObject({ mode: "multi-user", usable: false });
    expect(report.detail).toContain("join the group nix-users");
  });

  it("tells a socket left by a daemon that is gone from one that answers", () => {
    const report = detectNixMode({}, user(false), probes({ "/nix/store": "dir", [socket]: "socket" }, [socket]));
    expect(report).toMatchObject({ mode: "multi-user", usable: false, daemon: "not answering" });
    expect(report.detail).toContain("no nix-daemon answers");
  });

  it("says single-user without a daemon, usable when this user writes the store", () => {
    expect(detectNixMode({}, user(false), probes({ "/nix/store": "dir" }, ["/nix/store", "/nix/var/nix/db"]))).toMatchObject({ mode: "single-user", usable: true });
    expect(detectNixMode({}, user(false), probes({ "/nix/store": "dir" }, []))).toMatchObject({ mode: "single-user", usable: false });
    expect(detectNixMode({}, user(false), probes({}, []))).toMatchObject({ mode: "none", usable: false });
  });

  it("says multi-user as root, where apps build as their own users, whether or not a daemon answers yet", () => {
    const answering = detectNixMode({}, { root: true, daemonAnswers: true }, probes({ "/nix/store": "dir", [socket]: "socket" }, [socket]));
    expect(answering).toMatchObject({ mode: "multi-user", usable: true, daemon: "answering" });
    const none = detectNixMode({}, { root: true, daemonAnswers: false }, probes({ "/nix/store": "dir" }, ["/nix/store", "/nix/var/nix/db"]));
    expect(none).toMatchObject({ mode: "multi-user", usable: true, daemon: "absent" });
    expect(none.detail).toContain("Hop3's Nix builder starts one at the next build");
  });
});

describe("this Hop3 at boot and on PATH", () => {
  const command = ["/usr/bin/node", "/usr/lib/node_modules/@hop3/cli/dist/bin.js"];
  const install: Hop3Install = describeInstall(command, { HOP3_HTTP_PORT: "80", DOCKER_HOST: "unix:///run/docker.sock", HOP3_TEST_CRASH_AT: "after-build", PATH: "/usr/bin", HOME: "/root" });
  const unitPath = "/etc/systemd/system/hop3.service";

  it("describes the install from setup's environment: HOP3_HOME, the config file, Hop3's settings and the engine's address", () => {
    expect(install).toEqual({
      command,
      home: "/var/lib/hop3",
      configFile: "/root/.config/hop3/config.json",
      settings: { DOCKER_HOST: "unix:///run/docker.sock", HOP3_HTTP_PORT: "80" },
      unitName: "hop3.service",
    });
    // Another HOP3_HOME gets a unit of its own, named like its users.
    expect(describeInstall(command, { HOP3_HOME: "/srv/staging", HOME: "/root" }).unitName).toMatch(/^hop3-h3[0-9a-f]{6}\.service$/);
    expect(describeInstall(command, { HOP3_HOME: "/srv/staging", HOP3_USER_PREFIX: "stg", HOME: "/root" }).unitName).toBe("hop3-stg.service");
  });

  it("renders a oneshot unit that runs `server start` and `server stop` with the settings, sandboxed", () => {
    const unit = renderBootUnit(install);
    expect(unit).toContain("\nType=oneshot\nRemainAfterExit=yes\n");
    expect(unit).toContain('\nEnvironment=HOP3_HOME=/var/lib/hop3\nEnvironment=HOP3_CONFIG=/root/.config/hop3/config.json\nEnvironment=DOCKER_HOST=unix:///run/docker.sock\nEnvironment=HOP3_HTTP_PORT=80\n');
    expect(unit).toContain("\nExecStart=/usr/bin/node /usr/lib/node_modules/@hop3/cli/dist/bin.js server start\nExecStop=/usr/bin/node /usr/lib/node_modules/@hop3/cli/dist/bin.js server stop\n");
    expect(unit).not.toContain("HOP3_TEST_CRASH_AT");
    for (const option of ["NoNewPrivileges=yes", "ProtectSystem=true", "ProtectHome=read-only", "ReadWritePaths=-/var/lib/hop3", "PrivateTmp=yes", "ProtectProc=invisible"]) expect(unit).toContain(`\n${option}\n`);
    // The emperor writes cgroups and creates users: these would break it.
    for (const option of ["ProtectControlGroups=", "ProtectKernelTunables=yes", "ProtectSystem=full", "ProtectSystem=strict", "MemoryDenyWriteExecute=yes", "CapabilityBoundingSet="]) expect(unit).not.toMatch(new RegExp(`^${option}`, "m"));
    expect(unit).toContain("\n[Install]\nWantedBy=multi-user.target\n");
  });

  it("quotes for systemd, and leaves PrivateTmp= out when a path it uses is under /tmp", () => {
    expect(systemdQuote("/a b/c", { command: true })).toBe('"/a b/c"');
    expect(systemdQuote("100%", { command: true })).toBe("100%%");
    expect(systemdQuote("$HOME", { command: true })).toBe("$$HOME");
    expect(systemdQuote("$HOME")).toBe("$HOME");
    expect(systemdQuote('say "hi"\\')).toBe('"say \\"hi\\"\\\\"');
    const temporary = renderBootUnit(describeInstall(["/usr/bin/node", "/tmp/x y/bin.js"], { HOP3_HOME: "/var/tmp/hop3", HOME: "/root" }));
    expect(temporary).not.toMatch(/^PrivateTmp=/m);
    expect(temporary).toContain("# No PrivateTmp=: it would hide /var/tmp/hop3");
    expect(temporary).toContain('ExecStart=/usr/bin/node "/tmp/x y/bin.js" server start');
  });

  it("with systemd, writes the unit, enables and starts it, then changes nothing once it runs", () => {
    const plan = planSetup(requirements, facts({ systemd: true }), none, install);
    expect(plan.bootUnit).toBe("hop3.service");
    const boot = plan.steps.find((s) => s.id === "boot")!;
    expect(boot.files).toEqual([{ path: unitPath, content: renderBootUnit(install), mode: 0o644 }]);
    expect(boot.commands.map((c) => c.argv)).toEqual([["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", "hop3.service"]]);
    expect(renderFile(boot.files![0]!, "sudo")).toMatch(/^sudo install -m 0644 \/dev\/stdin \/etc\/systemd\/system\/hop3.service <<'HOP3_EOF'\n# Made by `hop3 setup`/);

    const installed = facts({ systemd: true, files: { [unitPath]: renderBootUnit(install), [PATH_WRAPPER]: renderPathWrapper(install) }, hop3OnPath: { path: PATH_WRAPPER, sameInstall: true } });
    expect(planSetup(requirements, { ...installed, units: { ...installed.units, "hop3.service": { enabled: true, active: true } } }, none, install).steps).toEqual([]);
    // Installed but disabled: enabled again, nothing rewritten.
    const disabled = planSetup(requirements, { ...installed, units: { ...installed.units, "hop3.service": { enabled: false, active: false } } }, none, install);
    expect(disabled.steps.map((s) => [s.id, s.files, s.commands.map((c) => c.argv.join(" "))])).toEqual([["boot", [], ["systemctl enable --now hop3.service"]]]);
    // Changed while it runs: rewritten, and the note says how to apply it now.
    const running = planSetup(requirements, { ...installed, files: { ...installed.files, [unitPath]: "old" }, units: { ...installed.units, "hop3.service": { enabled: true, active: true } } }, none, install);
    expect(running.notes.join(" ")).toContain("systemctl restart hop3.service");
  });

  it("without systemd, says what the init system must run at boot", () => {
    const plan = planSetup(requirements, facts({ nixDaemonAnswers: false }), none, install);
    expect(plan.bootUnit).toBeUndefined();
    expect(plan.steps.map((s) => s.id)).toEqual(["nix-daemon-start", "hop3-on-path"]);
    expect(plan.notes).toContain(
      "No systemd here: nothing starts Hop3 at boot. Have your init system run, at boot: HOP3_HOME=/var/lib/hop3 HOP3_CONFIG=/root/.config/hop3/config.json DOCKER_HOST=unix:///run/docker.sock HOP3_HTTP_PORT=80 /usr/local/bin/hop3 server start (the nix-daemon is started again by the first build after it).",
    );
  });

  it("puts hop3 on PATH only where none is, or rewrites its own wrapper, and checks it runs", () => {
    const wrapper = renderPathWrapper(install);
    expect(wrapper).toBe("#!/bin/sh\n# Made by `hop3 setup`: runs this install's hop3. hop3 setup rewrites this file; delete it to undo.\nexec /usr/bin/node /usr/lib/node_modules/@hop3/cli/dist/bin.js \"$@\"\n");
    expect(isPathWrapper(wrapper)).toBe(true);
    expect(isPathWrapper("#!/bin/sh\nexec something\n")).toBe(false);
    const pathStep = (overrides: Partial<MachineFacts>) => planSetup(requirements, facts(overrides), none, install);

    const missing = pathStep({});
    expect(missing.steps.find((s) => s.id === "hop3-on-path")!.files).toEqual([{ path: PATH_WRAPPER, content: wrapper, mode: 0o755 }]);
    expect(missing.checks.at(-1)).toMatchObject({ id: "check-hop3-on-path", program: "hop3", commands: [{ argv: ["hop3", "--version"] }] });
    // Its own wrapper, from another install: rewritten.
    expect(ids(pathStep({ files: { [PATH_WRAPPER]: renderPathWrapper({ command: ["/opt/node", "/old/bin.js"] }) }, hop3OnPath: { path: PATH_WRAPPER, sameInstall: false } }))).toEqual(["hop3-on-path"]);
    expect(ids(pathStep({ files: { [PATH_WRAPPER]: wrapper }, hop3OnPath: { path: PATH_WRAPPER, sameInstall: true } }))).toEqual([]);
    // npm's own link to this install: nothing to do, nothing to say.
    const npm = pathStep({ hop3OnPath: { path: "/usr/bin/hop3", sameInstall: true } });
    expect([ids(npm), npm.notes.filter((n) => n.includes("PATH"))]).toEqual([[], []]);
    // Another install on PATH, or a file of someone else's where the wrapper would go: left alone, said.
    const other = pathStep({ hop3OnPath: { path: "/usr/bin/hop3", sameInstall: false } });
    expect(ids(other)).toEqual([]);
    expect(other.notes.join(" ")).toContain("`hop3` on PATH is /usr/bin/hop3, another install than this one");
    const foreign = pathStep({ files: { [PATH_WRAPPER]: "#!/bin/sh\necho mine\n" } });
    expect(ids(foreign)).toEqual([]);
    expect(foreign.notes.join(" ")).toContain("/usr/local/bin/hop3 was not made by hop3 setup");
    expect(pathStep({ pathDirs: ["/usr/bin"] }).notes.join(" ")).toContain("/usr/local/bin is not on this PATH");
  });

  it("makes neither for a distribution that cannot say how to run itself", () => {
    const plan = planSetup(requirements, facts({ systemd: true }), none);
    expect([plan.bootUnit, plan.steps.map((s) => s.id), plan.checks.map((c) => c.id)]).toEqual([undefined, [], ["check-nix", "check-docker", "check-uwsgi", "check-nginx", "check-nix-build"]]);
  });
});
