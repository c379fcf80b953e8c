import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nixPlugin } from "@hop3/builder-nix";
import { builtInCommands, createCli } from "@hop3/cli";
import { createDistribution } from "@hop3/core";
import { nginxRouterPlugin } from "@hop3/router-nginx";
import { memoryIO } from "./memory-io.js";
import { freePort, hop3, httpGet } from "./run-hop3.js";

// The real `hop3 setup`, as root, on this machine (no systemd): apt, dpkg and nix-build for real.
// The one package made missing is uwsgi-plugin-python3: nothing here uses it, and Debian's mirror
// gives it back in seconds. nginx, uwsgi-core, nix-bin and docker.io stay: other work needs them.
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
interface Plan { root: boolean; systemd: boolean; nixMode: string; steps: Step[]; checks: Step[]; components: Component[] }
interface Result { status: string; steps: { id: string; status: string; seconds: number }[]; checks: { id: string; status: string; failure?: unknown }[] }

beforeAll(async () => {
  expect(process.getuid?.(), "this test runs hop3 setup for real and must run as root (as CI does)").toBe(0);
  port = await freePort();
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port), NIX_CONFIG: "substituters =\n" };
});

afterAll(async () => {
  await run("server", "stop");
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
    expect(plan).toMatchObject({ root: true, systemd: false, nixMode: "single-user" });
    for (const component of plan.components.filter((c) => c.selected)) {
      const installed = dpkgInstalled(component.packages);
      expect(component.missingPackages, component.id).toEqual(component.packages.filter((p) => !installed.includes(p)));
    }
    const install = plan.steps.find((s) => s.id === "packages");
    expect(install?.commands).toEqual([`DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends ${REMOVABLE}`]);
    expect(plan.checks.map((c) => c.id)).toContain("check-nix-build");
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
    expect(data.result.steps.map((s) => [s.id, s.status])).toEqual([["apt-update", "done"], ["packages", "done"]]);
    for (const step of data.result.steps) expect(step.seconds).toBeGreaterThan(0);
    expect(data.result.checks.filter((c) => c.status !== "ok")).toEqual([]);
    expect(dpkgInstalled([REMOVABLE])).toEqual([REMOVABLE]);
  }, 300_000);

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
    expect(text.stdout).toMatch(/^ok {3}nix-build works for root \(single-user\)/m);
    const data = (await run("setup", "--yes", "--json")).json<{ steps: Step[]; result: Result }>();
    expect(data.steps).toEqual([]);
    expect(data.result).toMatchObject({ status: "unchanged", steps: [] });
  });

  it("shows the Nix mode in hop3 doctor", async () => {
    const result = await run("doctor", "--json");
    expect(result.json<{ nix: { mode: string; usable: boolean } }>().nix).toEqual(expect.objectContaining({ mode: "single-user", usable: true }));
  });
});

describe("hop3 setup in another distribution", () => {
  it("sets up only what that distribution's plugins declare (here Nix and nginx, no uWSGI, no Docker)", async () => {
    const cli = createCli(async () => createDistribution({ plugins: [nixPlugin(), nginxRouterPlugin({}, env)], env }), { name: "hop3-nix", version: "0.0.0", commands: builtInCommands });
    const io = memoryIO(home, env);
    expect(await cli.run(["setup", "--dry-run", "--json"], io), io.err()).toBe(0);
    const plan = JSON.parse(io.out()) as Plan;
    expect(plan.components.map((c) => c.id)).toEqual(["nix", "nginx"]);
    expect(plan.checks.map((c) => c.id)).toEqual(["check-nix", "check-nginx", "check-nix-build"]);
  });
});
