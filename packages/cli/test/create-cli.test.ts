import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { builtInCommands, createCli, EXIT } from "@hop3/cli";
import { createDistribution, definePlugin, Hop3Error, type Builder } from "@hop3/core";
import { memoryIO } from "./memory-io.js";

const markerBuilder: Builder = {
  apiVersion: 1,
  name: "marker",
  looksFor: "a web worker in the Procfile",
  workersFrom: "the marker's own list",
  usesToolchains: false,
  accept: ({ app }) => ({ accepted: app.config.workers.web !== undefined, reason: "a web worker is declared" }),
  build: async ({ app, releaseId }) => ({
    apiVersion: 1,
    kind: "generic",
    location: app.dir,
    builder: "marker",
    appName: app.name,
    buildId: releaseId,
    builtAt: new Date().toISOString(),
    metadata: {},
    runtime: { workers: { ...app.config.workers }, env: {}, path: [], workingDir: app.dir },
  }),
};

const testPlugin = definePlugin({
  name: "test/cli",
  apiVersion: 1,
  version: "9.9.9",
  register: (registry) => {
    registry.addBuilder(markerBuilder);
    registry.addCliCommand({
      apiVersion: 1,
      name: ["test", "hello"],
      summary: "Say hello",
      positionals: [{ name: "NAME" }],
      run: async ({ args }) => {
        const [name] = args.positionals;
        if (name === "crash") throw new TypeError("plugin bug");
        if (name === "coded") throw new Hop3Error({ code: "TEST_CODED", message: "a coded failure", hint: "do the thing" });
        return { data: { greeted: name }, text: `hello ${name}` };
      },
    });
  },
});

const cli = createCli(async () => createDistribution({ plugins: [testPlugin] }), { name: "hop3", version: "1.2.3", commands: builtInCommands });

function appDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "hop3-cli-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

describe("createCli", () => {
  it("prints the version, as text and as JSON", async () => {
    const io = memoryIO("/");
    expect(await cli.run(["--version"], io)).toBe(EXIT.ok);
    expect(io.out()).toBe("hop3 1.2.3\n");
    const json = memoryIO("/");
    await cli.run(["--version", "--json"], json);
    expect(JSON.parse(json.out())).toEqual({ name: "hop3", version: "1.2.3" });
  });

  it("lists built-in and plugin commands in --help", async () => {
    const io = memoryIO("/");
    expect(await cli.run(["--help"], io)).toBe(EXIT.ok);
    expect(io.out()).toContain("hop3 plan [DIR]");
    expect(io.out()).toContain("hop3 test hello NAME");
    expect(io.out()).toContain("hop3 keys add NAME KEY");
    // sshd's forced command and git's hook are run by programs, not people.
    expect(io.out()).not.toContain("ssh-command");
    expect(io.out()).not.toContain("git-hook");
  });

  it("refuses to run the forced command without a command from sshd, and says so", async () => {
    const home = mkdtempSync(join(tmpdir(), "hop3-ssh-command-"));
    const io = memoryIO("/", { HOP3_HOME: home, SSH_ORIGINAL_COMMAND: undefined });
    expect(await cli.run(["ssh-command", "--key", "alice"], io)).toBe(EXIT.userError);
    expect(io.err()).toContain("never a shell");
    expect(io.err()).toContain("error[SSH_COMMAND_MISSING]");
    expect(readFileSync(join(home, "log", "ssh-commands.log"), "utf8")).toContain('"key":"alice","outcome":"refused","code":"SSH_COMMAND_MISSING"');
  });

  it("plans an app, with --json giving exactly one JSON object on stdout", async () => {
    const dir = appDir({ Procfile: "web: serve\n" });
    const io = memoryIO(dir);
    expect(await cli.run(["plan", "--json"], io)).toBe(EXIT.ok);
    const plan = JSON.parse(io.out());
    expect(plan.builder).toEqual({ name: "marker", reason: "a web worker is declared", explicit: false });
    expect(plan.candidates).toEqual([{ name: "marker", accepted: true, reason: "a web worker is declared", priority: 100 }]);
    expect(plan.workers).toEqual({ web: "serve" });
  });

  it("prints a user error as error[CODE] with its hint and exits 1, with no stack", async () => {
    const io = memoryIO(appDir({ "hop3.toml": "[build]\nbuidler = 'nix'\n" }));
    expect(await cli.run(["plan"], io)).toBe(EXIT.userError);
    expect(io.err()).toMatch(/^error\[CONFIG_UNKNOWN_KEY\]: .*hop3\.toml line 2: unknown key "build\.buidler"\. Did you mean "build\.builder"\?\nhint: /);
    expect(io.err()).not.toContain("    at ");
  });

  it("gives the error as JSON on stdout with --json", async () => {
    const io = memoryIO(appDir({ "README.md": "" }));
    expect(await cli.run(["plan", "--json"], io)).toBe(EXIT.userError);
    const { error } = JSON.parse(io.out());
    expect(error.code).toBe("BUILDER_NONE_ACCEPTED");
    // Built from the distribution's builders: no hop3.nix or Dockerfile where no builder takes them.
    expect(error.hint).toBe("Add what one of the builders looks for: a web worker in the Procfile (marker). Or name a builder in hop3.toml [build] builder.");
  });

  it("says where the workers come from as the chosen builder says, when the app names none", async () => {
    const io = memoryIO(appDir({ "README.md": "" }));
    expect(await cli.run(["plan", "--builder", "marker"], io)).toBe(EXIT.ok);
    expect(io.out()).toContain("\nworkers: from the marker's own list\n");
  });

  it("exits 2 on bad usage: unknown command, unknown option, extra argument", async () => {
    for (const argv of [["frobnicate"], ["plan", "--frob"], ["plan", "a", "b"]]) {
      const io = memoryIO("/");
      expect(await cli.run(argv, io), argv.join(" ")).toBe(EXIT.usage);
      expect(io.err()).toMatch(/^error: /);
    }
  });

  it("runs plugin commands, and reports their failures by kind", async () => {
    const ok = memoryIO("/");
    expect(await cli.run(["test", "hello", "you"], ok)).toBe(0);
    expect(ok.out()).toBe("hello you\n");
    const json = memoryIO("/");
    expect(await cli.run(["test", "hello", "you", "--json"], json)).toBe(0);
    expect(JSON.parse(json.out())).toEqual({ greeted: "you" });

    const coded = memoryIO("/");
    expect(await cli.run(["test", "hello", "coded"], coded)).toBe(EXIT.userError);
    expect(coded.err()).toContain("error[TEST_CODED]: a coded failure\nhint: do the thing");

    const crash = memoryIO("/");
    expect(await cli.run(["test", "hello", "crash"], crash)).toBe(EXIT.internal);
    expect(crash.err()).toContain("TypeError: plugin bug");
    expect(crash.err()).toContain("This is a bug in hop3 1.2.3");
  });

  it("lists plugins with versions and what they contribute", async () => {
    const io = memoryIO("/");
    await cli.run(["plugins", "--json"], io);
    const data = JSON.parse(io.out());
    expect(data.plugins).toEqual([{ name: "test/cli", apiVersion: 1, version: "9.9.9", order: 1, origin: "distribution" }]);
    expect(data.builders).toEqual([{ name: "marker", order: 1, priority: 100, usesToolchains: false }]);
    expect(data.commands).toEqual([{ name: "test hello", summary: "Say hello" }]);
  });
});
