import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Hop3Error, type BuildArtifact } from "@hop3/core";
import { planInstances, renderVassal } from "@hop3/deployer-uwsgi";
import { renderCronLauncher, renderCronLine, uwsgiCronSchedule } from "../src/cron.js";

describe("uwsgiCronSchedule", () => {
  it.each([
    ["* * * * *", "", undefined],
    ["*/5 * * * *", "minute=-5", undefined],
    ["0 3 * * *", "minute=0,hour=3", undefined],
    ["30 */2 1 6 7", "minute=30,hour=-2,month=6", undefined], // both days restricted: the guard ORs them
    ["0 0 * * */2", "minute=0,hour=0,week=-2", undefined],
    ["0 0 * * 7", "minute=0,hour=0,week=0", undefined],
  ])("gives uWSGI what it reads as cron does: %s", (schedule, keys) => {
    expect(uwsgiCronSchedule(schedule).keys).toBe(keys);
  });

  it("leaves lists, ranges and day or month steps to the launcher's guard", () => {
    expect(uwsgiCronSchedule("15,45 * * * *")).toEqual({ keys: "", guard: [[15, 45], undefined, undefined, undefined, undefined] });
    expect(uwsgiCronSchedule("0 9 */2 * *").guard?.[2]?.slice(0, 3)).toEqual([1, 3, 5]); // uWSGI's -2 would mean 2, 4, 6
    expect(uwsgiCronSchedule("0 9 * 1-3 1-5")).toEqual({ keys: "minute=0,hour=9", guard: [undefined, undefined, undefined, [1, 2, 3], [1, 2, 3, 4, 5]] });
    expect(uwsgiCronSchedule("0 0 1 * 5,7").guard).toEqual([undefined, undefined, [1], undefined, [0, 5]]);
  });

  it("writes a cron2 line of numbers and the launcher's path only, never twice at once, bounded", () => {
    expect(renderCronLine(uwsgiCronSchedule("*/5 * * * *"), "/h/apps/a/run/cron.1.sh")).toBe("cron2 = minute=-5,unique=1,harakiri=3600 exec /bin/sh /h/apps/a/run/cron.1.sh");
    const vassal = renderVassal({ app: "a", worker: "cron", index: 1, socket: "/s.sock", log: "/l.log", launcher: "/h/apps/a/run/cron.1.sh", stopTimeoutSeconds: 3, cgroupProcs: [], cron: uwsgiCronSchedule("* * * * *") });
    expect(vassal).toContain("\ncron2 = unique=1,harakiri=3600 exec /bin/sh /h/apps/a/run/cron.1.sh\n");
    expect(vassal).not.toContain("attach-daemon");
  });
});

describe("cron launcher guard", () => {
  const dir = mkdtempSync(join(tmpdir(), "h3cron-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the launcher's guard at a given time (a fake `date` first on PATH) and says whether the command ran. */
  const runsAt = (schedule: string, when: string): boolean => {
    const script = renderCronLauncher({
      app: "a", worker: "cron", index: 1, command: "echo RAN", env: {}, pathPrepend: [], workingDir: dir, pidFile: join(dir, "pid"), setpriv: "/usr/bin/env", lockFile: join(dir, "lock"), flock: "/usr/bin/flock",
      schedule: uwsgiCronSchedule(schedule),
    }).replace("--no-new-privs ", "");
    writeFileSync(join(dir, "date"), `#!/bin/sh\ncase "$1" in +%s) echo 0 ;; *) echo '${when}' ;; esac\n`, { mode: 0o755 });
    writeFileSync(join(dir, "launcher.sh"), script);
    const out = execFileSync("/bin/sh", [join(dir, "launcher.sh")], { encoding: "utf8", env: { PATH: `${dir}:/usr/bin:/bin` } });
    return out.includes("RAN");
  };

  it.each([
    // minute hour day month weekday (Sunday 0)
    ["15,45 * * * *", "45 10 6 12 0", true],
    ["15,45 * * * *", "30 10 6 12 0", false],
    ["0 9 */2 * *", "0 9 3 12 4", true],
    ["0 9 */2 * *", "0 9 4 12 5", false],
    ["* * 1 * 1-5", "7 7 1 12 0", true], // day of month matches: either day field is enough
    ["* * 1 * 1-5", "7 7 2 12 3", true],
    ["* * 1 * 1-5", "7 7 2 12 6", false],
    ["* * * * 5,7", "7 7 6 12 0", true], // 7 is Sunday
  ])("%s at %s runs: %s", (schedule, when, expected) => {
    expect(runsAt(schedule, when)).toBe(expected);
  });

  it("logs the exit code of each run", () => {
    const script = renderCronLauncher({
      app: "a", worker: "cron2", index: 1, command: "echo out; exit 7", env: { GREETING: "it's" }, pathPrepend: [], workingDir: dir, pidFile: join(dir, "pid"), setpriv: "/usr/bin/env", lockFile: join(dir, "lock"), flock: "/usr/bin/flock",
      schedule: uwsgiCronSchedule("* * * * *"),
    }).replace("--no-new-privs ", "");
    writeFileSync(join(dir, "exit.sh"), script);
    let output = "";
    try {
      execFileSync("/bin/sh", [join(dir, "exit.sh")], { encoding: "utf8" });
    } catch (error) {
      output = (error as { stdout: string }).stdout;
      expect((error as { status: number }).status).toBe(7);
    }
    expect(output).toMatch(/\[hop3-cron\] cron2\.1: started\nout\n\[hop3-cron\] cron2\.1: exited with code 7 after \d+ s\n/);
  });
});

describe("planInstances with cron workers", () => {
  const artifact = (workers: Record<string, string>, isolation?: "container"): BuildArtifact => ({
    apiVersion: 1, kind: "generic", location: "/app", builder: "test", appName: "a", buildId: "b", builtAt: new Date().toISOString(), metadata: {},
    runtime: { workers, env: {}, path: [], workingDir: "/app", ...(isolation && { isolation }) },
  });
  const codeOf = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return Hop3Error.is(error) ? error.code : String(error);
    }
    return undefined;
  };

  it("plans one scheduled instance per cron worker, with its command only", () => {
    const plan = planInstances(artifact({ web: "./serve", cron: "*/5 * * * * ./tick --all", "cron-nightly": "0 3 * * * ./nightly" }), {}, false);
    expect(plan.instances.map((i) => [i.key, i.command, i.cron?.text])).toEqual([
      ["web.1", "./serve", undefined],
      ["cron.1", "./tick --all", "*/5 * * * *"],
      ["cron-nightly.1", "./nightly", "0 3 * * *"],
    ]);
  });

  it("scales a cron worker to 0 or 1 and refuses more", () => {
    expect(planInstances(artifact({ cron: "* * * * * ./t" }), { cron: 0 }, true).instances).toEqual([]);
    expect(codeOf(() => planInstances(artifact({ cron: "* * * * * ./t" }), { cron: 2 }, true))).toBe("UWSGI_SCALE_INVALID");
  });

  it("refuses a schedule a builder let through with a newline, and a cron worker of a container app", () => {
    expect(codeOf(() => planInstances(artifact({ cron: "* * * * *\n[uwsgi]\nuid = 0 ./t" }), {}, false))).toBe("PROCFILE_CRON_INVALID");
    expect(codeOf(() => planInstances(artifact({ web: "x", cron: "* * * * * ./t" }, "container"), {}, false))).toBe("UWSGI_CRON_CONTAINER_UNSUPPORTED");
  });
});
