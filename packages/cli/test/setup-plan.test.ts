import { builtInCommands, createCli } from "@hop3/cli";
import { createDistribution, type SystemRequirement } from "@hop3/core";
import { describe, expect, it } from "vitest";
import {
  collectRequirements,
  detectNixMode,
  gatherFacts,
  parseOsRelease,
  planSetup,
  renderCommand,
  type MachineFacts,
  type NixModeProbes,
  type SetupProbes,
} from "../src/setup/index.js";
import { memoryIO } from "./memory-io.js";

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
    units: { "nix-daemon.socket": { enabled: true, active: true }, "docker.service": { enabled: true, active: true } },
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

    it("is single-user without systemd for root with nothing to give, and says the Docker engine is not started", () => {
      const plan = planSetup(requirements, facts(), none);
      expect(plan.nixMode).toBe("single-user");
      expect(plan.checks.at(-1)!.commands[0]!.argv[0]).toBe("nix-build");
      expect(plan.checks.at(-1)!.commands[0]!.argv).toContain("substitute");
      expect(plan.notes.join(" ")).toMatch(/Docker engine is installed but not started/);
    });
  });

  it("gives manual steps, and no commands, on a system that is not Debian or Ubuntu", () => {
    const plan = planSetup(requirements, facts({ platform: parseOsRelease(FEDORA), apt: false, programs: new Set(["nginx"]) }), none);
    expect(plan.supported).toBe(false);
    expect(plan.steps).toEqual([]);
    expect(plan.manualSteps[0]).toContain("Fedora Linux 40");
    expect(plan.manualSteps.join("\n")).toContain("nix-build (apps with a hop3.nix): Install Nix.");
    expect(plan.manualSteps.join("\n")).not.toContain("nginx (");
    expect(plan.manualSteps.at(-1)).toContain("single-user");
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

  it("says multi-user where a daemon socket is, usable when this user may use it", () => {
    expect(detectNixMode({}, probes({ "/nix/store": "dir", [socket]: "socket" }, [socket]))).toMatchObject({ mode: "multi-user", usable: true });
    expect(detectNixMode({}, probes({ "/nix/store": "dir", [socket]: "socket" }, []))).toMatchObject({ mode: "multi-user", usable: false });
    expect(detectNixMode({ NIX_REMOTE: "daemon" }, probes({ "/nix/store": "dir" }, ["/nix/store", "/nix/var/nix/db"]))).toMatchObject({ mode: "multi-user", usable: false });
  });

  it("says single-user without a daemon, usable when this user writes the store", () => {
    expect(detectNixMode({}, probes({ "/nix/store": "dir" }, ["/nix/store", "/nix/var/nix/db"]))).toMatchObject({ mode: "single-user", usable: true });
    expect(detectNixMode({}, probes({ "/nix/store": "dir" }, []))).toMatchObject({ mode: "single-user", usable: false });
    expect(detectNixMode({}, probes({}, []))).toMatchObject({ mode: "none", usable: false });
  });
});

describe("hop3 setup's options", () => {
  const plugin = { name: "test/needs", apiVersion: 1, requirements, register: () => {} };
  const cli = createCli(async () => createDistribution({ plugins: [plugin] }), { name: "hop3", version: "0.0.0", commands: builtInCommands });

  it.each([
    [["--with", "nope"], 'this distribution needs no "nope"; known: nix, docker, uwsgi, nginx, go'],
    [["--without", "docker,nope"], '--without nope'],
    [["--user", "root; reboot"], '--user "root; reboot" is not a user name'],
  ])("refuses %j as bad usage, before looking at the machine", async (args, message) => {
    const io = memoryIO(process.cwd());
    expect(await cli.run(["setup", "--dry-run", ...args], io)).toBe(2);
    expect(io.err()).toContain(message);
    expect(io.out()).toBe("");
  });
});
