import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { createCli, EXIT } from "@hop3/cli";
import { createDistribution, definePlugin, Hop3Error, type MaintenanceTask } from "@hop3/core";
import { memoryIO } from "./memory-io.js";
import { hop3 } from "./run-hop3.js";
import { stubPlugin, type StubOptions } from "./stub-plugin.js";

const home = () => mkdtempSync(join(tmpdir(), "hop3-maintain-"));

async function maintain(options: StubOptions & { tasks?: readonly MaintenanceTask[] }, homeDir = home(), ...argv: string[]) {
  const env = { HOP3_HOME: homeDir, HOP3_PLUGINS: "", HOP3_CONFIG: join(homeDir, "none.json") };
  const tasks = definePlugin({ name: "tasks", apiVersion: 1, register: (registry) => options.tasks?.forEach((task) => registry.addMaintenanceTask(task)) });
  const plugins = options.tasks ? [stubPlugin(options), tasks] : [stubPlugin(options)];
  const cli = createCli(async () => createDistribution({ plugins, env }), { name: "hop3", version: "0.0.0", pluginsFrom: false });
  const io = memoryIO(homeDir, env);
  const code = await cli.run(["server", "maintain", ...argv], io);
  return { code, out: io.out(), err: io.err() };
}

describe("hop3 server maintain", () => {
  it("asks every deployer, then the router, and prints one line per thing done", async () => {
    const asked: string[] = [];
    const result = await maintain({
      deployerMaintain: async (context) => (asked.push(`deployer in ${context.home}`), ["rotated blog/logs/web.1.log (10.2M)"]),
      routerMaintain: async () => (asked.push("router"), ["rotated nginx/logs/access.log"]),
    });
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(asked).toEqual([expect.stringMatching(/^deployer in \/tmp\/hop3-maintain-/), "router"]);
    expect(result.out).toBe("stub: rotated blog/logs/web.1.log (10.2M)\nstub-router: rotated nginx/logs/access.log\n");
  });

  it("then runs the plugins' maintenance tasks with the distribution, each failure reported and the others run", async () => {
    const asked: string[] = [];
    const result = await maintain({
      routerMaintain: async () => (asked.push("router"), []),
      tasks: [
        { apiVersion: 1, name: "failing-task", run: async () => Promise.reject(new Hop3Error({ code: "TEST_CA_DOWN", message: "the CA is down", hint: "wait" })) },
        { apiVersion: 1, name: "tls-renewal", run: async (distribution) => (asked.push(`task in ${distribution.home}`), ["shop.example.com: renewed"]) },
      ],
    });
    expect(asked).toEqual(["router", expect.stringMatching(/^task in \/tmp\/hop3-maintain-/)]);
    expect(result.out).toBe("tls-renewal: shop.example.com: renewed\n");
    expect(result.err).toBe("error[TEST_CA_DOWN]: failing-task: the CA is down\nhint: wait\n");
    expect(result.code).toBe(EXIT.userError);
  });

  it("says nothing to do when nothing was done, and gives each part's lines with --json", async () => {
    const options = { deployerMaintain: async () => [], routerMaintain: async () => [] };
    expect((await maintain(options)).out).toBe("nothing to do\n");
    const json = JSON.parse((await maintain(options, home(), "--json")).out);
    expect(json).toEqual({ maintained: [{ name: "stub", role: "deployer", lines: [] }, { name: "stub-router", role: "router", lines: [] }] });
  });

  it("goes on with the router when a deployer fails, and exits 1 with the failure's code", async () => {
    const result = await maintain({
      deployerMaintain: async () => {
        throw new Hop3Error({ code: "TEST_LOG_UNREADABLE", message: "web.1.log cannot be read", hint: "look at it" });
      },
      routerMaintain: async () => ["rotated access.log"],
    });
    expect(result.code).toBe(EXIT.userError);
    expect(result.err).toBe("error[TEST_LOG_UNREADABLE]: stub: web.1.log cannot be read\nhint: look at it\n");
    expect(result.out).toBe("stub-router: rotated access.log\n");
  });

  it("leaves the work to a run still going in the same HOP3_HOME, and takes over a lock whose process is gone", async () => {
    const dir = home();
    let calls = 0;
    const options = { deployerMaintain: async () => (calls++, []) };
    writeFileSync(join(dir, "maintain.lock"), JSON.stringify({ pid: process.pid, command: "server maintain", since: "now" }));
    const busy = await maintain(options, dir);
    expect([busy.code, busy.out, calls]).toEqual([EXIT.ok, `nothing done: another hop3 server maintain is running (pid ${process.pid}, since now)\n`, 0]);
    writeFileSync(join(dir, "maintain.lock"), JSON.stringify({ pid: 2 ** 22 + 1, command: "server maintain", since: "then" }));
    expect((await maintain(options, dir)).out).toBe("nothing to do\n");
    expect([calls, existsSync(join(dir, "maintain.lock"))]).toEqual([1, false]);
  });

  it("does nothing, and creates nothing, for a HOP3_HOME that does not exist yet", async () => {
    const missing = join(home(), "not-yet");
    let calls = 0;
    const result = await maintain({ deployerMaintain: async () => (calls++, []) }, missing);
    expect([result.code, result.out, calls, existsSync(missing)]).toEqual([EXIT.ok, "nothing to do\n", 0, false]);
  });
});

// It starts the real `hop3` twice (tsx compiles it): seconds on a loaded machine.
describe("hop3 server maintain as Hop3's schedule runs it", { timeout: 60_000 }, () => {
  // The uWSGI emperor runs the distribution's hop3Command with `server maintain` every minute: no
  // terminal, not this directory, HOP3_HOME from its environment. A plugin's maintain reports the
  // hop3Command it was given, which is then run exactly so.
  it("runs from hop3Command, with no terminal and only HOP3_HOME and PATH set", async () => {
    const dir = home();
    const config = join(dir, "config", "config.json");
    const plugin = join(dirname(config), "node_modules", "hop3-plugin-report");
    mkdirSync(plugin, { recursive: true });
    writeFileSync(join(plugin, "package.json"), JSON.stringify({ name: "hop3-plugin-report", version: "1.0.0", type: "module", exports: "./index.js" }));
    writeFileSync(
      join(plugin, "index.js"),
      `const refuse = async () => { throw new Error("not used"); };
export const hop3Plugin = { name: "hop3-plugin-report", apiVersion: 1, register(registry) { registry.addDeployer({ apiVersion: 1, name: "report", takes: ["processes"],
  deploy: refuse, start: refuse, stop: refuse, restart: refuse, scale: refuse, destroy: refuse, status: refuse,
  maintain: async (context) => [JSON.stringify({ command: context.hop3Command, home: context.home })] }); } };\n`,
    );
    writeFileSync(config, JSON.stringify({ plugins: ["hop3-plugin-report"] }));

    const first = await hop3(["server", "maintain", "--json"], { HOP3_HOME: dir, HOP3_CONFIG: config, HOP3_PLUGINS: "" });
    expect(first.code, first.stderr).toBe(0);
    const report = first.json<{ maintained: Array<{ name: string; lines: string[] }> }>().maintained.find((part) => part.name === "report")!;
    const { command, home: seenHome } = JSON.parse(report.lines[0]!) as { command: string[]; home: string };
    expect(seenHome).toBe(dir);
    expect(command[0]).toBe(process.execPath);

    const [file, ...args] = command;
    const scheduled = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(file!, [...args, "server", "maintain"], { cwd: "/", env: { HOP3_HOME: dir, HOP3_CONFIG: config, PATH: process.env.PATH ?? "/usr/bin:/bin" }, timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect(scheduled.code, scheduled.stderr).toBe(0);
    expect(scheduled.stdout).toContain(`report: {"command":${JSON.stringify(command)},"home":${JSON.stringify(dir)}}`);
    expect(scheduled.stderr).toBe("");
  });
});
