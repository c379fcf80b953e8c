import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nixPlugin } from "@hop3/builder-nix";
import { builtInCommands, createCli } from "@hop3/cli";
import { createDistribution, sshLoginOf } from "@hop3/core";
import { nginxRouterPlugin } from "@hop3/router-nginx";
import { memoryIO } from "./memory-io.js";
import { freePort, hop3, httpGet } from "./run-hop3.js";

// The real `hop3 setup`, as root, on this machine (no systemd): apt, dpkg and nix-build for real.
// The one package made missing is uwsgi-plugin-python3: nothing here uses it, and Debian's mirror
// gives it back in seconds. nginx, uwsgi-core, nix-bin and docker.io stay: other work needs them.
// Setup also puts `hop3` on PATH (/usr/local/bin/hop3): whatever was there before is put back.
const fixtures = resolve(import.meta.dirname, "../../../test-fixtures/apps");
const REMOVABLE = "uwsgi-plugin-python3";
const home = mkdtempSync(join(tmpdir(), "hop3-setup-"));
let env: Record<string, string> = {};
let port = 0;
const run = (...args: string[]) => hop3(args, env);

const dpkgInstalled = (names: readonly string[]): string[] => {
  let out = "";
  try {
    out = execFileSync("dpkg-query", ["-W", "-f=${Package} ${db:Status-Status}\\n", ...names], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch (error) {
    out = String((error as { stdout?: string }).stdout ?? ""); // exits 1 when one of them is unknown
  }
  return out.split("\n").filter((line) => line.endsWith(" installed")).map((line) => line.split(" ")[0]!);
};

interface Step { id: string; commands: string[]; component: string; optional: boolean }
interface Component { id: string; selected: boolean; packages: string[]; missingPackages: string[] }
interface Plan { root: boolean; systemd: boolean; nixMode: string; nixDaemon: string; bootUnit: string | null; bootCommand: string; steps: Step[]; checks: Step[]; components: Component[]; notes: string[] }
interface Result { status: string; steps: { id: string; status: string; seconds: number }[]; checks: { id: string; status: string; failure?: unknown }[] }

const WRAPPER = "/usr/local/bin/hop3";
const wrapperBefore = existsSync(WRAPPER) ? readFileSync(WRAPPER) : undefined;
/** A shell's view: `hop3` found through PATH, as a user types it. */
const throughPath = (command: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) =>
    execFile("sh", ["-c", command], { cwd: "/", env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", HOME: process.env.HOME ?? "/root", NIX_CONFIG: "substituters =\n" }, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );

beforeAll(async () => {
  expect(process.getuid?.(), "this test runs hop3 setup for real and must run as root (as CI does)").toBe(0);
  port = await freePort();
  env = { HOP3_HOME: home, HOP3_CONFIG: join(home, "config.json"), HOP3_HTTP_PORT: String(port), NIX_CONFIG: "substituters =\n" };
});

afterAll(async () => {
  await run("server", "stop");
  rmSync(sshLoginOf({ home, env }).sudoersFile, { force: true });
  if (wrapperBefore === undefined) rmSync(WRAPPER, { force: true });
  else writeFileSync(WRAPPER, wrapperBefore, { mode: 0o755 });
  // Whatever happened above, give the package back.
  if (dpkgInstalled([REMOVABLE]).length === 0) execFileSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", REMOVABLE], { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, stdio: "ignore" });
}, 300_000);

describe.sequential("hop3 setup on this machine", () => {
  it("plans, with --dry-run, exactly the packages dpkg says are missing, and changes nothing", async () => {
    execFileSync("dpkg", ["--remove", REMOVABLE], { stdio: "ignore" });
    expect(dpkgInstalled([REMOVABLE])).toEqual([]);

    const result = await run("setup", "--dry-run", "--json");
    expect(result.code, result.stderr).toBe(0);
    const plan = result.json<Plan>();
    // Root deploys: each app builds as its own user, through a nix-daemon Hop3 starts (no systemd here).
    expect(plan).toMatchObject({ root: true, systemd: false, nixMode: "multi-user", nixDaemon: "hop3", bootUnit: null });
    for (const component of plan.components.filter((c) => c.selected)) {
      const installed = dpkgInstalled(component.packages);
      expect(component.missingPackages, component.id).toEqual(component.packages.filter((p) => !installed.includes(p)));
    }
    const install = plan.steps.find((s) => s.id === "packages");
    expect(install?.commands).toEqual([`DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends ${REMOVABLE}`]);
    expect(plan.checks.map((c) => c.id)).toEqual(expect.arrayContaining(["check-nix-build", "check-hop3-on-path"]));
    expect(plan.checks.find((c) => c.id === "check-nix-build")!.commands[0]).toMatch(/^runuser -u nobody -G nix-users -- env 'NIX_REMOTE=daemon' nix-build /);
    expect(plan.notes.join("\n")).toContain(`No systemd here: nothing starts Hop3 at boot. Have your init system run, at boot: ${plan.bootCommand}`);
    expect(dpkgInstalled([REMOVABLE])).toEqual([]);
  });

  it("changes nothing without --yes, and says how to go on", async () => {
    const result = await run("setup");
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends ${REMOVABLE}`);
    expect(result.stderr).toContain("error[CONFIRMATION_REQUIRED]");
    expect(dpkgInstalled([REMOVABLE])).toEqual([]);
  });

  it("installs what is missing, reports each step with its time, and checks nix-build", async () => {
    const result = await run("setup", "--yes", "--json");
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const data = result.json<{ result: Result }>();
    expect(data.result.status).toBe("changed");
    // The wrapper is (re)written unless this very install put it there; a daemon is started when none answered.
    const steps = data.result.steps.map((s) => [s.id, s.status]);
    expect(steps.slice(0, 2)).toEqual([["apt-update", "done"], ["packages", "done"]]);
    expect(steps.slice(2).filter(([id]) => id !== "hop3-on-path" && id !== "nix-daemon-start" && !id!.startsWith("ssh-login-"))).toEqual([]);
    // Deploy keys' login: the user, its home, the entry and the sudoers rule of this HOP3_HOME.
    expect(steps.map(([id]) => id)).toEqual(expect.arrayContaining(["ssh-login-user", "ssh-login-home", "ssh-login-entry", "ssh-login-sudoers"]));
    expect(steps.filter(([, status]) => status !== "done")).toEqual([]);
    for (const step of data.result.steps.filter((s) => s.id.startsWith("apt") || s.id === "packages")) expect(step.seconds).toBeGreaterThan(0);
    expect(data.result.checks.filter((c) => c.status !== "ok")).toEqual([]);
    expect(dpkgInstalled([REMOVABLE])).toEqual([REMOVABLE]);
  }, 300_000);

  it("leaves hop3 on PATH, running this install", async () => {
    const version = await throughPath("hop3 --version");
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/^hop3 \d+\.\d+\.\d+\n$/);
    expect(readFileSync(WRAPPER, "utf8")).toContain("packages/cli/src/bin.ts");
  });

  it("leaves a machine where a Nix app and a static app deploy", async () => {
    for (const [app, text] of [["nix-web", "hello from nix-web"], ["spec-static", "hello from spec-static"]] as const) {
      const deployed = await run("deploy", join(fixtures, app));
      expect(deployed.code, deployed.stderr).toBe(0);
      expect((await httpGet(port, `${app}.localhost`)).body).toContain(text);
    }
  });

  it("reports no change on a second run, in words and in data", async () => {
    const text = await run("setup", "--yes");
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("Nothing to change: this machine is ready for `hop3 deploy`.");
    expect(text.stdout).toMatch(/^ok {3}nix-build works for app users, through the nix-daemon \(multi-user\)/m);
    expect(text.stdout).toMatch(/^ok {3}hop3 is on PATH and runs/m);
    const data = (await run("setup", "--yes", "--json")).json<{ steps: Step[]; result: Result }>();
    expect(data.steps).toEqual([]);
    expect(data.result).toMatchObject({ status: "unchanged", steps: [] });
  });

  it("shows the Nix mode in hop3 doctor: multi-user, with a daemon answering", async () => {
    const result = await run("doctor", "--json");
    expect(result.json<{ nix: { mode: string; usable: boolean; daemon: string } }>().nix).toEqual(expect.objectContaining({ mode: "multi-user", usable: true, daemon: "answering" }));
  });

  it("starts Hop3 with the line it gives for boot, through hop3 on PATH", async () => {
    const { bootCommand } = (await run("setup", "--dry-run", "--json")).json<Plan>();
    expect(bootCommand.startsWith(`HOP3_HOME=${home} HOP3_CONFIG=${join(home, "config.json")} `)).toBe(true);
    expect(bootCommand).toContain(` HOP3_HTTP_PORT=${port} `);
    expect(bootCommand.endsWith(" /usr/local/bin/hop3 server start")).toBe(true);
    expect((await run("server", "stop")).code).toBe(0);
    const started = await throughPath(bootCommand);
    expect(started.code, started.stderr).toBe(0);
    // The apps deployed above are served again.
    expect((await httpGet(port, "spec-static.localhost")).body).toContain("hello from spec-static");
  });
});

describe("hop3 setup in another distribution", () => {
  it("sets up only what that distribution's plugins declare (here Nix and nginx, no uWSGI, no Docker)", async () => {
    const cli = createCli(async () => createDistribution({ plugins: [nixPlugin(), nginxRouterPlugin({}, env)], env }), { name: "hop3-nix", version: "0.0.0", commands: builtInCommands });
    const io = memoryIO(home, env);
    expect(await cli.run(["setup", "--dry-run", "--json"], io), io.err()).toBe(0);
    const plan = JSON.parse(io.out()) as Plan;
    // Deploy keys' sudo and sshd come with every distribution of @hop3/cli's setup.
    expect(plan.components.map((c) => c.id)).toEqual(["nix", "nginx", "sudo", "sshd"]);
    expect(plan.checks.map((c) => c.id)).toEqual(["check-nix", "check-nginx", "check-sudo", "check-sshd", "check-nix-build"]);
  });
});
