import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { builtInCommands, createCli } from "@hop3/cli";
import { createDistribution } from "@hop3/core";
import { uwsgiPluginsReport } from "@hop3/server-setup";
import { memoryIO } from "./memory-io.js";

const dir = () => mkdtempSync(join(tmpdir(), "hop3-doctor-"));

describe("hop3 doctor", () => {
  const cli = createCli(async () => createDistribution({ plugins: [] }), { name: "hop3", version: "0.0.0", commands: builtInCommands, pluginsFrom: false });

  it("adds isolation, config, limits, the old home and boot to its checks, as text and JSON", async () => {
    const home = dir();
    mkdirSync(join(home, ".local/share/hop3/apps/shop"), { recursive: true });
    const env = { HOME: home, HOP3_HOME: "", HOP3_CONFIG: join(home, "none.json") };
    const json = memoryIO(home, env);
    await cli.run(["doctor", "--json"], json);
    const data = JSON.parse(json.out());
    expect(Object.keys(data)).toEqual(["checks", "uwsgiPlugins", "nix", "nixDistributed", "swarmRegistry", "isolation", "config", "limits", "legacyHome", "boot", "certificates"]);
    // This machine and CI have the language plugins (scripts/setup.sh --with rack --with jvm).
    expect(data.uwsgiPlugins.dir).toBe("/usr/lib/uwsgi/plugins");
    expect(data.uwsgiPlugins.installed).toEqual(expect.arrayContaining(["python3", "rack", "jvm", "jwsgi"]));
    expect(data.uwsgiPlugins.workers.jwsgi).toEqual({ ok: true, plugins: ["jvm", "jwsgi"], missing: [], packages: ["uwsgi-plugin-jvm-openjdk-17", "uwsgi-plugin-jwsgi-openjdk-17"], setup: "jvm" });
    expect(data.checks[0]).toMatchObject({ name: "node", ok: true });
    expect(data.isolation).toMatchObject({ mode: "user-per-app", home: "/var/lib/hop3" });
    expect(data.config).toMatchObject({ path: join(home, "none.json"), file: null });
    expect(data.certificates).toMatchObject({ expiring: [] });
    expect(data.limits.defaults).toEqual({ memoryBytes: 1024 ** 3, processes: 512, openFiles: 16384 });
    expect(data.legacyHome).toMatchObject({ apps: ["shop"] });
    expect(data.boot).toMatchObject({ systemd: false, unit: "hop3.service" });

    const text = memoryIO(home, env);
    await cli.run(["doctor"], text);
    const out = text.out();
    expect(out).toMatch(/^ok {3}uwsgi plugins \(\/usr\/lib\/uwsgi\/plugins\): .*\bjwsgi\b.*\bpython3\b.*\brack\b/m);
    expect(out).toMatch(/^ok {3}rwsgi workers: uWSGI's rack plugin$/m);
    expect(out).toMatch(/^ok {3}isolation: a user per app \(hop3-<app>\), nginx's workers as hop3_web; HOP3_HOME \/var\/lib\/hop3$/m);
    expect(out).toMatch(/^ok {3}config: no file \(defaults; looked for .*none\.json\)$/m);
    expect(out).toMatch(/^ok {3}limits: memory by cgroup v\d memory|^warn limits: /m);
    expect(out).toMatch(new RegExp(`^warn old home: ${home}/\\.local/share/hop3 holds 1 app\\(s\\) \\(shop\\).*HOP3_HOME_NOT_TRAVERSABLE\\.md\\)\\.$`, "m"));
    expect(out).toMatch(/^warn boot: no systemd here/m);
  });

  it("checks the registry the swarm's nodes pull from, where Docker apps run on Swarm", async () => {
    const home = dir();
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const down = memoryIO(home, { HOP3_HOME: home, HOP3_CONTAINER_DEPLOYER: "swarm", HOP3_SWARM_REGISTRY: `127.0.0.1:${closed}`, HOP3_CONFIG: join(home, "none.json") });
    expect(await cli.run(["doctor"], down)).toBe(1);
    expect(down.out()).toMatch(new RegExp(`^fail swarm registry: 127\\.0\\.0\\.1:${closed} does not answer on /v2/`, "m"));
    const own = memoryIO(home, { HOP3_HOME: home, HOP3_CONTAINER_DEPLOYER: "swarm", HOP3_CONFIG: join(home, "none.json"), PATH: process.env.PATH ?? "" });
    await cli.run(["doctor"], own);
    expect(own.out()).toMatch(/^ok {3}swarm registry: Hop3's, not started yet/m);
    const plain = memoryIO(home, { HOP3_HOME: home, HOP3_CONFIG: join(home, "none.json") });
    await cli.run(["doctor"], plain);
    expect(plain.out()).not.toMatch(/swarm registry/);
  });

  it("fails on a config file that cannot be read: every other command would", async () => {
    const home = dir();
    writeFileSync(join(home, "config.json"), "{ not json");
    const io = memoryIO(home, { HOP3_CONFIG: join(home, "config.json") });
    const code = await cli.run(["doctor"], io);
    expect(io.out()).toMatch(/^fail config: .*config\.json is not valid JSON/m);
    expect(code).toBe(1);
  });
});

describe("uwsgiPluginsReport", () => {
  it("lists the plugins of a directory by name, and none where there is no directory", () => {
    const plugins = dir();
    for (const file of ["rack_plugin.so", "python3_plugin.so", "README", "jvm_openjdk17_plugin.so"]) writeFileSync(join(plugins, file), "");
    expect(uwsgiPluginsReport(plugins)).toEqual({ dir: plugins, installed: ["jvm_openjdk17", "python3", "rack"] });
    expect(uwsgiPluginsReport(join(plugins, "absent"))).toEqual({ dir: join(plugins, "absent"), installed: [] });
  });
});
