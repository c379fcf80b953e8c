import { silentLogger, type CommandResult, type CommandRunner, type Logger } from "@hop3/core";
import { describe, expect, it } from "vitest";
import { runSetup, type SetupPlan, type SetupStep } from "../src/index.js";

const step = (id: string, argv: string[], optional = false): SetupStep => ({ id, title: id, kind: "packages", component: id, optional, commands: [{ argv }], hint: `hint for ${id}` });
const check = (id: string, program: string): SetupStep => ({ id, title: id, kind: "check", component: id, optional: false, commands: [], program, hint: `install ${program}` });

const plan = (steps: SetupStep[], checks: SetupStep[] = []): SetupPlan => ({
  platform: { id: "debian", idLike: [], name: "Debian", debianFamily: true },
  root: true,
  systemd: false,
  deployUser: "root",
  nixMode: undefined,
  nixDaemon: undefined,
  bootUnit: undefined,
  bootCommand: undefined,
  components: [],
  supported: true,
  manualSteps: [],
  steps,
  checks,
  notes: [],
});

/** Runs nothing: commands whose first word is "fail" exit 100 with two lines of output. */
function fakeRunner() {
  const ran: string[] = [];
  const run: CommandRunner = async (file, args) => {
    ran.push([file, ...args].join(" "));
    const failed = file === "fail";
    const result: CommandResult = { command: file, exitCode: failed ? 100 : 0, stdout: "", stderr: "", lastLines: failed ? ["E: Unable to locate package", "E: giving up"] : [], durationMs: 1 };
    return result;
  };
  return { ran, runner: { run, hasProgram: (name: string) => name === "nginx", env: {}, signal: new AbortController().signal, step: <T>(_: string, action: (logger: Logger) => Promise<T>) => action(silentLogger) } };
}

describe("runSetup", () => {
  it("reports unchanged when there was nothing to change, and runs the checks", async () => {
    const { runner } = fakeRunner();
    const report = await runSetup(plan([], [check("check-nginx", "nginx")]), runner);
    expect(report.status).toBe("unchanged");
    expect(report.checks.map((c) => c.status)).toEqual(["ok"]);
  });

  it("goes on after an optional failure, with the command, its last lines and the hint", async () => {
    const { runner, ran } = fakeRunner();
    const report = await runSetup(plan([step("packages-docker", ["fail", "docker.io"], true), step("packages", ["apt-get", "install", "nginx"])]), runner);
    expect(ran).toEqual(["fail docker.io", "apt-get install nginx"]);
    expect(report.status).toBe("failed");
    expect(report.steps.map((s) => s.status)).toEqual(["failed", "done"]);
    expect(report.steps[0]!.failure).toEqual({ command: "fail docker.io", message: "exited with code 100", lastLines: ["E: Unable to locate package", "E: giving up"], hint: "hint for packages-docker" });
    expect(report.steps[1]!.seconds).toBeGreaterThanOrEqual(0);
  });

  it("skips the changes after a required failure, but still runs the checks", async () => {
    const { runner, ran } = fakeRunner();
    const report = await runSetup(plan([step("packages", ["fail"]), step("nix-daemon", ["systemctl", "enable"])], [check("check-uwsgi", "uwsgi")]), runner);
    expect(ran).toEqual(["fail"]);
    expect(report.steps.map((s) => s.status)).toEqual(["failed", "skipped"]);
    expect(report.checks[0]).toMatchObject({ status: "failed", failure: { command: "which uwsgi", message: "uwsgi is not on PATH.", hint: "install uwsgi" } });
  });

  it("writes a step's files before its commands, and reports a file it cannot write like a failed command", async () => {
    const { runner, ran } = fakeRunner();
    const written: string[] = [];
    const writeFile = (file: { path: string }) => {
      if (file.path.startsWith("/ro/")) throw new Error("EROFS: read-only file system");
      written.push(file.path);
      ran.push(`write ${file.path}`);
    };
    const boot: SetupStep = { ...step("boot", ["systemctl", "enable", "--now", "hop3.service"]), files: [{ path: "/etc/systemd/system/hop3.service", content: "[Unit]\n", mode: 0o644 }] };
    const report = await runSetup(plan([boot]), { ...runner, writeFile });
    expect(ran).toEqual(["write /etc/systemd/system/hop3.service", "systemctl enable --now hop3.service"]);
    expect(report.steps[0]).toMatchObject({ status: "done", files: ["/etc/systemd/system/hop3.service"] });

    const failed = await runSetup(plan([{ ...boot, files: [{ path: "/ro/hop3.service", content: "", mode: 0o644 }] }]), { ...runner, writeFile });
    expect(failed.steps[0]).toMatchObject({ status: "failed", failure: { command: "write /ro/hop3.service", message: "EROFS: read-only file system" } });
  });

  it("reports changed when every step passed", async () => {
    const { runner } = fakeRunner();
    expect((await runSetup(plan([step("packages", ["apt-get"])]), runner)).status).toBe("changed");
  });
});
