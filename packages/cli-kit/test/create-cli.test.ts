import { describe, expect, it } from "vitest";
import { createCli, defineCommand, EXIT, memoryIO, runningProgram } from "@hop3/cli-kit";
import { createDistribution, createSteps, definePlugin, Hop3Error, type Distribution } from "@hop3/core";

// A program made of the shell alone: its own commands and a plugin's, on the one contract.
const greet = defineCommand({
  name: ["greet"],
  summary: "Greet people",
  description: "Says hello to each NAME.",
  positionals: [{ name: "NAME", variadic: true, description: "who to greet" }],
  options: {
    greeting: { type: "string", valueName: "WORD", description: "instead of hello" },
    loud: { type: "boolean", short: "l" },
  },
  async run({ args, onStep }) {
    const word = typeof args.values.greeting === "string" ? args.values.greeting : "hello";
    const lines = await createSteps(onStep).run("greet", async (logger) => {
      logger.info("thinking of words");
      return args.positionals.map((name) => `${word} ${name}${args.values.loud ? "!" : ""}`);
    });
    return { data: { greeted: args.positionals }, text: lines };
  },
});

const fail = defineCommand({
  name: ["fail"],
  summary: "Fail in the way asked",
  usage: "hop3 fail KIND",
  maxPositionals: 1,
  async run({ args }) {
    const kind = args.positionals[0];
    if (kind === "coded") throw new Hop3Error({ code: "TEST_CODED", message: "a coded failure", hint: "do the thing" });
    if (kind === "disk") throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", syscall: "write", path: "/srv/hop3/x" });
    if (kind === "bug") throw new TypeError("x is undefined");
    return { data: { kind }, text: [], exitCode: 3 };
  },
});

const pluginCommand = {
  apiVersion: 1 as const,
  name: ["tool", "count"],
  summary: "Count the plugins",
  async run({ distribution }: { distribution: () => Promise<Distribution> }) {
    const { plugins } = await distribution();
    return { data: { plugins: plugins.length }, text: `${plugins.length} plugin(s)` };
  },
};

const plugin = definePlugin({ name: "test/tool", apiVersion: 1, register: (registry) => registry.addCliCommand(pluginCommand) });

function program() {
  let loads = 0;
  const cli = createCli(
    async () => {
      loads++;
      return createDistribution({ plugins: [plugin] });
    },
    { name: "demo", version: "1.0.0", commands: [greet, fail], pluginsFrom: false, bugReportUrl: "https://example.org/bugs" },
  );
  return { cli, loads: () => loads };
}

async function run(...argv: string[]) {
  const { cli, loads } = program();
  const io = memoryIO("/");
  const code = await cli.run(argv, io);
  return { code, out: io.out(), err: io.err(), loads: loads() };
}

describe("createCli of @hop3/cli-kit", () => {
  it("has no commands but those it is given, and lists them with usage lines made from their declaration", async () => {
    const result = await run("--help");
    expect(result.code).toBe(EXIT.ok);
    expect(result.out).toContain("demo 1.0.0\n\nCommands:\n");
    expect(result.out).toContain("demo greet NAME... [--greeting WORD] [--loud]  Greet people");
    expect(result.out).toContain("demo fail KIND");
    expect(result.out).toContain("demo tool count");
    expect(result.out).not.toContain("deploy");
    expect((await run()).code).toBe(EXIT.usage);
  });

  it("answers --version and a command's --help without loading the distribution", async () => {
    const version = await run("--version");
    expect(version).toMatchObject({ code: EXIT.ok, out: "demo 1.0.0\n", loads: 0 });
    const help = await run("greet", "--help");
    expect(help.loads).toBe(0);
    expect(help.out).toBe(
      [
        "Greet people",
        "",
        "usage: demo greet NAME... [--greeting WORD] [--loud]",
        "",
        "Says hello to each NAME.",
        "",
        "Arguments:",
        "  NAME...  who to greet",
        "",
        "Options:",
        "  --greeting WORD  instead of hello",
        "  -l, --loud",
        "  --json           print the result as one JSON object on stdout",
        "  -h, --help       show this help",
        "",
      ].join("\n"),
    );
  });

  it("parses options and positionals from the declaration, and prints the outcome's text", async () => {
    const result = await run("greet", "ada", "grace", "--greeting", "hi", "-l");
    expect(result.code).toBe(EXIT.ok);
    expect(result.out).toBe("hi ada!\nhi grace!\n");
    // Steps go to stderr: stdout is the outcome only.
    expect(result.err).toMatch(/^greet: started\n {2}│ thinking of words\ngreet: done in [\d.]+s\n$/);
  });

  it("prints the outcome's data as exactly one JSON object with --json", async () => {
    const result = await run("greet", "ada", "--json");
    expect(JSON.parse(result.out)).toEqual({ greeted: ["ada"] });
    expect(result.out.trim().split("\n")).toHaveLength(1);
  });

  it("exits with the outcome's exit code", async () => {
    expect((await run("fail", "none")).code).toBe(3);
  });

  it.each([
    [["greet"], "missing NAME", "demo greet NAME... [--greeting WORD] [--loud]"],
    [["greet", "ada", "--shout"], "Unknown option '--shout'", "demo greet NAME... [--greeting WORD] [--loud]"],
    [["greet", "ada", "--greeting"], "Option '--greeting <value>' argument missing", "demo greet NAME... [--greeting WORD] [--loud]"],
    [["fail", "a", "b"], 'unexpected argument "b"', "demo fail KIND"],
  ])("refuses %j: exit 2 with the usage line", async (argv, message, usage) => {
    const result = await run(...argv);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toBe(`error: ${message}\nusage: ${usage}\n`);
  });

  it("says usage lines with a program name that starts with hop3 once", async () => {
    const cli = createCli(createDistribution({ plugins: [] }), { name: "hop3-x", version: "1.0.0", commands: [greet, fail], pluginsFrom: false });
    const help = memoryIO();
    await cli.run(["greet", "--help"], help);
    expect(help.out()).toContain("usage: hop3-x greet NAME...");
    const usage = memoryIO();
    expect(await cli.run(["fail", "a", "b"], usage)).toBe(EXIT.usage);
    expect(usage.err()).toContain("usage: hop3-x fail KIND\n");
    const missing = memoryIO();
    await cli.run(["greet"], missing);
    expect(missing.err()).toBe("error: missing NAME\nusage: hop3-x greet NAME... [--greeting WORD] [--loud]\n");
  });

  it("refuses an unknown command", async () => {
    const result = await run("frobnicate");
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toBe('error: unknown command "frobnicate"; run `demo --help` for the list\n');
  });

  it("runs a plugin's command the same way, with the distribution", async () => {
    const result = await run("tool", "count", "--json");
    expect(result).toMatchObject({ code: EXIT.ok, loads: 1 });
    expect(JSON.parse(result.out)).toEqual({ plugins: 1 });
    expect((await run("tool", "count", "extra")).code).toBe(EXIT.usage);
  });

  it("is the one error boundary: a user error is its code and hint (exit 1), as text or JSON", async () => {
    const text = await run("fail", "coded");
    expect(text.code).toBe(EXIT.userError);
    expect(text.err).toBe("error[TEST_CODED]: a coded failure\nhint: do the thing\n");
    const json = await run("fail", "coded", "--json");
    expect(JSON.parse(json.out).error).toMatchObject({ code: "TEST_CODED", message: "a coded failure", hint: "do the thing" });
  });

  it("turns a full disk into STATE_WRITE_FAILED, a user error", async () => {
    const result = await run("fail", "disk");
    expect(result.code).toBe(EXIT.userError);
    expect(result.err).toMatch(/^error\[STATE_WRITE_FAILED\]: Could not write \/srv\/hop3\/x: no space left on device \(ENOSPC\)\.\nhint: /);
  });

  it("prints a bug's stack and asks for a report (exit 70)", async () => {
    const result = await run("fail", "bug");
    expect(result.code).toBe(EXIT.internal);
    expect(result.err).toContain("internal error: TypeError: x is undefined\n    at ");
    expect(result.err).toContain("This is a bug in demo 1.0.0. Please report it at https://example.org/bugs with the output above.");
  });
});

describe("createCli with remote support: the handshake a remote client starts with", () => {
  // The shape of @hop3/remote's answer: its version on stderr first, and whether the word is its protocol.
  const remote = {
    protocol: 7,
    commands: [],
    optionsFor: () => ({}),
    route: async () => undefined,
    handshake(word: string, io: { stderr: { write(text: string): unknown } }, version: string) {
      io.stderr.write(`handshake ${version}\n`);
      return word === "--protocol=7";
    },
  };
  const cli = createCli(createDistribution({ plugins: [] }), { name: "demo", version: "1.2.3", commands: [greet], pluginsFrom: false, remote });

  it("answers the client's protocol word first, then runs the command after it", async () => {
    const io = memoryIO();
    expect(await cli.run(["--protocol=7", "greet", "ada", "--json"], io)).toBe(EXIT.ok);
    expect(io.err().split("\n")[0]).toBe("handshake 1.2.3");
    expect(JSON.parse(io.out())).toEqual({ greeted: ["ada"] });
  });

  it("runs nothing for another protocol", async () => {
    const io = memoryIO();
    expect(await cli.run(["--protocol=8", "greet", "ada"], io)).toBe(EXIT.userError);
    expect(io.err()).toBe("handshake 1.2.3\n");
    expect(io.out()).toBe("");
  });
});

describe("runningProgram", () => {
  it("keeps node's module-loading flags with their values and leaves out debugger and profiler flags", () => {
    const program = runningProgram({
      execPath: "/usr/bin/node",
      execArgv: ["--inspect=0.0.0.0:9229", "--require", "/opt/tsx/preflight.cjs", "--cpu-prof", "--cpu-prof-dir", "/tmp/profiles", "--import=file:///opt/tsx/loader.mjs", "-r", "./hooks.cjs", "--inspect-brk", "--conditions=@hop3/source", "--max-old-space-size=64", "-C", "development"],
      argv: ["/usr/bin/node", "/usr/lib/hop3/bin.js", "setup"],
    });
    expect(program).toEqual([
      "/usr/bin/node",
      "--require",
      "/opt/tsx/preflight.cjs",
      "--import=file:///opt/tsx/loader.mjs",
      "-r",
      "./hooks.cjs",
      "--conditions=@hop3/source",
      "-C",
      "development",
      "/usr/lib/hop3/bin.js",
    ]);
  });

  it("is node and the script alone when node was given no flag", () => {
    expect(runningProgram({ execPath: "/usr/bin/node", execArgv: [], argv: ["/usr/bin/node", "/usr/bin/hop3", "deploy"] })).toEqual(["/usr/bin/node", "/usr/bin/hop3"]);
  });
});
