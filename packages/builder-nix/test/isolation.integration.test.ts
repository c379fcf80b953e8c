import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createDistribution, createMemoryLogger, findAppUser, lookupGroup, silentLogger, type AppUser, type Logger } from "@hop3/core";
import { nixPlugin } from "@hop3/builder-nix";
import { daemonAnswers, ensureNixDaemon, socketGroups } from "../src/daemon.js";
import { caught, derivationNix, FIXTURES, makeApp, NIXPKGS_STAND_IN, nonce, tempDir, WRITE_RUNTIME_JSON } from "./helpers.js";

// Hop3 runs as root here and in CI: every build below runs as the app's own user, through the
// real nix-daemon, from a copy of the sources in a temporary HOP3_HOME.
const home = tempDir("hop3-home-");
const env = { ...process.env, HOP3_HOME: home };
const distribution = createDistribution({ plugins: [nixPlugin()], env });
const build = async (dir: string, options: { logger?: Logger; signal?: AbortSignal } = {}) => distribution.build(await distribution.plan(dir), options);
const appUser = (app: string): AppUser => findAppUser({ home, env }, app)!;
const copyOf = (app: string) => join(home, "apps", app, "nix", "src", app);

afterAll(() => rmSync(home, { recursive: true, force: true }));

/** A directory any user may write to: whatever runs there, as whichever user, leaves its mark. */
function markerDir(): string {
  const dir = tempDir("hop3-mark-");
  chmodSync(dir, 0o777);
  return dir;
}

/** What /proc says about the processes whose command line holds every word. */
function processesWith(...words: string[]): Array<Record<string, string>> {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        if (!words.every((word) => cmdline.some((arg) => arg.includes(word)))) return [];
        const status = Object.fromEntries(
          readFileSync(`/proc/${pid}/status`, "utf8")
            .split("\n")
            .map((line) => line.split(":\t") as [string, string]),
        );
        return [{ pid, program: cmdline[0]!, ...status }];
      } catch {
        return [];
      }
    });
}

it("runs as root, where the builds must go to the app's user (not root: a failure, not a skip)", () => {
  expect(process.getuid?.()).toBe(0);
});

describe("a build as the app's user", () => {
  it("evaluates and builds as the app's user, with the nix-users group, no capabilities, from a copy it can read", async () => {
    const id = nonce();
    const gate = markerDir();
    const script = `echo "waiting ${id}"; i=0; while [ ! -e ${gate}/go ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; ${WRITE_RUNTIME_JSON}`;
    // makeApp's directory sits in a 0700 temporary directory: the app's user could not read it there.
    const dir = makeApp({ "hop3.nix": derivationNix(script, id) }, "as-app-user");
    expect(statSync(join(dir, "..")).mode & 0o777).toBe(0o700);

    let seen: Array<Record<string, string>> = [];
    const logger: Logger = {
      ...silentLogger,
      output: ({ text }) => {
        if (!text.includes(`waiting ${id}`)) return;
        seen = processesWith("nix-build", `hop3-app=${copyOf("as-app-user")}`);
        writeFileSync(join(gate, "go"), "");
      },
    };
    const artifact = await build(dir, { logger });
    expect(artifact.location).toMatch(/^\/nix\/store\/[0-9a-z]{32}-hop3-test-/);

    const user = appUser("as-app-user");
    expect(user.dedicated).toBe(true);
    expect(seen).toHaveLength(1);
    const [nixBuild] = seen;
    expect(nixBuild!.Uid!.split("\t")).toEqual(Array(4).fill(String(user.uid)));
    expect(nixBuild!.Gid!.split("\t")).toEqual(Array(4).fill(String(user.gid)));
    const nixUsers = lookupGroup("nix-users")!.gid;
    expect(nixBuild!.Groups!.trim().split(" ").map(Number).sort()).toEqual([user.gid, nixUsers].sort());
    expect(nixBuild!.CapEff).toBe("0000000000000000");
    expect(nixBuild!.CapBnd).toBe("0000000000000000");
    expect(nixBuild!.NoNewPrivs).toBe("1");
  });

  it("lays out the app's nix directory: the copy root's, readable by the app's group only; GC roots root's alone", async () => {
    const dir = makeApp({ "hop3.nix": derivationNix(WRITE_RUNTIME_JSON), "secret.txt": "private" }, "layout-app");
    chmodSync(join(dir, "secret.txt"), 0o600);
    await build(dir);
    const user = appUser("layout-app");
    const owner = (path: string) => {
      const stat = lstatSync(path);
      return { uid: stat.uid, gid: stat.gid, mode: stat.mode & 0o7777 };
    };
    const app = join(home, "apps", "layout-app");
    expect(owner(join(app, "nix"))).toEqual({ uid: 0, gid: user.gid, mode: 0o750 });
    expect(owner(join(app, "nix", "src"))).toEqual({ uid: 0, gid: user.gid, mode: 0o750 });
    expect(owner(join(app, "nix", "gcroots"))).toEqual({ uid: 0, gid: 0, mode: 0o700 });
    expect(owner(copyOf("layout-app"))).toMatchObject({ uid: 0, mode: 0o755 });
    // 0600 in the app directory, yet the app's user must read it to build: only src/ guards it.
    expect(owner(join(copyOf("layout-app"), "secret.txt"))).toMatchObject({ uid: 0, mode: 0o644 });
    expect(readFileSync(join(copyOf("layout-app"), "secret.txt"), "utf8")).toBe("private");
  });

  it("copies nothing again on an unchanged redeploy, and only what changed otherwise", async () => {
    const dir = makeApp({ "hop3.nix": derivationNix(WRITE_RUNTIME_JSON), "a.txt": "a", "sub/b.txt": "b" }, "redeploy-app");
    const copied = () => {
      const logger = createMemoryLogger();
      return { logger, done: build(dir, { logger }) };
    };
    const line = (logger: ReturnType<typeof createMemoryLogger>) => logger.entries.find((entry) => entry.text.startsWith("Copied the sources"))?.text;

    const first = copied();
    const firstArtifact = await first.done;
    expect(line(first.logger)).toBe(`Copied the sources to ${copyOf("redeploy-app")} (3 files, 3 changed, 0 removed).`);
    const inode = statSync(join(copyOf("redeploy-app"), "sub", "b.txt")).ino;

    const again = copied();
    expect((await again.done).location).toBe(firstArtifact.location);
    expect(line(again.logger)).toBe(`Copied the sources to ${copyOf("redeploy-app")} (3 files, 0 changed, 0 removed).`);
    expect(statSync(join(copyOf("redeploy-app"), "sub", "b.txt")).ino).toBe(inode);

    writeFileSync(join(dir, "a.txt"), "a, changed");
    rmSync(join(dir, "sub"), { recursive: true });
    const changed = copied();
    await changed.done;
    expect(line(changed.logger)).toBe(`Copied the sources to ${copyOf("redeploy-app")} (2 files, 1 changed, 1 removed).`);
    expect(existsSync(join(copyOf("redeploy-app"), "sub"))).toBe(false);
  });
});

describe("what evaluation may read", () => {
  it.each([
    ["the package", (read: string) => derivationNix(WRITE_RUNTIME_JSON, nonce(), "").replace("PATH =", `secret = ${read};\n    PATH =`)],
    ["env", (read: string) => derivationNix(WRITE_RUNTIME_JSON, nonce(), `  env = { SECRET = ${read}; };\n`)],
  ])("refuses builtins.readFile /etc/shadow in %s with NIX_ACCESS_FORBIDDEN naming it, nothing of it shown", async (_where, nix) => {
    const dir = makeApp({ "hop3.nix": nix("builtins.readFile /etc/shadow") });
    const error = await caught(() => build(dir));
    expect(error.code).toBe("NIX_ACCESS_FORBIDDEN");
    expect(error.message).toContain("reads /etc/shadow, a path outside the app and the Nix search path");
    expect(error.message).toContain("error: access to absolute path '/etc/shadow' is forbidden in restricted mode");
    expect(error.details.path).toBe("/etc/shadow");
    expect(error.hint).toContain("NIX_PATH");
    expect(JSON.stringify(error)).not.toContain("root:");
  });

  it("refuses a link of the app that leads to /etc/shadow, and a path that climbs out of the app", async () => {
    const linked = makeApp({ "hop3.nix": derivationNix(WRITE_RUNTIME_JSON, nonce(), "  env = { SECRET = builtins.readFile ./secret; };\n") });
    const { symlinkSync } = await import("node:fs");
    symlinkSync("/etc/shadow", join(linked, "secret"));
    const viaLink = await caught(() => build(linked));
    expect(viaLink.code).toBe("NIX_ACCESS_FORBIDDEN");
    expect(viaLink.message).toContain("error: access to canonical path '/etc/shadow' is forbidden in restricted mode");

    const climbing = makeApp({ "hop3.nix": derivationNix(WRITE_RUNTIME_JSON, nonce(), "  env = { P = builtins.readFile ../../../../../../../../etc/passwd; };\n") });
    const climbed = await caught(() => build(climbing));
    expect(climbed.code).toBe("NIX_ACCESS_FORBIDDEN");
    expect(climbed.details.path).toBe("/etc/passwd");
  });

  it("names the app's own directory, not the copy, in nix's messages", async () => {
    const dir = makeApp({ "hop3.nix": "{\n  package = ;\n}\n" }, "syntax-app");
    const error = await caught(() => build(dir));
    expect(error.code).toBe("NIX_SYNTAX_ERROR");
    expect(error.message).toContain(`at ${join(dir, "hop3.nix")}:2:13:`);
    expect(error.message).not.toContain(copyOf("syntax-app"));
  });

  it("refuses hop3.toml [nix] include /etc and ../.. before anything runs (NIX_INCLUDE_NOT_ALLOWED)", async () => {
    for (const entry of ["etc=/etc", "../.."]) {
      const dir = makeApp({ "hop3.nix": derivationNix(WRITE_RUNTIME_JSON), "hop3.toml": `[nix]\ninclude = ["${entry}"]\n` }, `include-${entry.length}`);
      const error = await caught(() => build(dir));
      expect(error.code).toBe("NIX_INCLUDE_NOT_ALLOWED");
      expect(error.message).toContain(`"${entry}"`);
      expect(existsSync(copyOf(`include-${entry.length}`))).toBe(false);
    }
  });

  it("takes a NIX_PATH entry that is a link into the store, as a channel is, though evaluation checks real paths", async () => {
    // In a directory the app's user cannot even enter: Hop3 gives the link's target.
    const channels = tempDir("hop3-channels-");
    const { symlinkSync } = await import("node:fs");
    symlinkSync(NIXPKGS_STAND_IN, join(channels, "nixpkgs"));
    const withChannel = createDistribution({ plugins: [nixPlugin()], env: { ...env, NIX_PATH: `nixpkgs=${join(channels, "nixpkgs")}` } });
    const dir = join(tempDir(), "spec-static");
    cpSync(join(FIXTURES, "apps", "spec-static"), dir, { recursive: true });
    expect((await withChannel.build(await withChannel.plan(dir))).kind).toBe("static");
  });

  it("passes an include inside the app as its place in the copy, which the app's user reads", async () => {
    const dir = makeApp({
      "hop3.toml": '[nix]\ninclude = ["lib=./vendor/lib"]\n',
      "vendor/lib/default.nix": '{ greeting = "from the vendored lib"; }\n',
      "hop3.nix": derivationNix(WRITE_RUNTIME_JSON, nonce(), "  env = { GREETING = (import <lib>).greeting; };\n"),
    });
    expect((await build(dir)).runtime.env).toEqual({ GREETING: "from the vendored lib" });
  });
});

describe("builtins.exec and other settings an app may not set", () => {
  const execNix = (marks: string) =>
    derivationNix(WRITE_RUNTIME_JSON, nonce(), `  env = { RAN = builtins.exec [ "/bin/sh" "-c" "touch ${marks}/ran-$(id -u); echo '\\"x\\"'" ]; };\n`);

  it("refuses allow-unsafe-native-code-during-evaluation in hop3.toml (NIX_OPTION_NOT_ALLOWED), and nothing runs", async () => {
    const marks = markerDir();
    const dir = makeApp({ "hop3.nix": execNix(marks), "hop3.toml": '[nix]\noptions = { allow-unsafe-native-code-during-evaluation = "true" }\n' });
    const error = await caught(() => build(dir));
    expect(error.code).toBe("NIX_OPTION_NOT_ALLOWED");
    expect(error.message).toContain('"allow-unsafe-native-code-during-evaluation"');
    expect(error.message).toContain("max-jobs");
    expect(readdirSync(marks)).toEqual([]);
  });

  it("never runs builtins.exec, even when the app wrote a nix.conf allowing it into its own HOME", async () => {
    const marks = markerDir();
    const dir = makeApp({ "hop3.nix": execNix(marks) }, "exec-app");
    const plain = await caught(() => build(dir));
    expect(plain.code).toBe("NIX_EVALUATION_ERROR");
    expect(plain.message).toContain("error: attribute 'exec' missing");

    // The app's processes write its data directory (their HOME): nix must not read a config there.
    const user = appUser("exec-app");
    const config = join(user.home, ".config", "nix");
    mkdirSync(config, { recursive: true });
    writeFileSync(join(config, "nix.conf"), "allow-unsafe-native-code-during-evaluation = true\nrestrict-eval = false\n");
    const planted = await caught(() => build(dir));
    expect(planted.code).toBe("NIX_EVALUATION_ERROR");
    expect(planted.message).toContain("error: attribute 'exec' missing");
    expect(readdirSync(marks)).toEqual([]);
  });
});

describe("runtime.json, read as root from the store path", () => {
  it.each([
    ["a link to /etc/shadow", "mkdir -p $out/hop3; ln -s /etc/shadow $out/hop3/runtime.json", "has hop3/runtime.json leading to /etc/shadow"],
    ["in a hop3/ that is a link to /etc", "mkdir -p $out; ln -s /etc $out/hop3", "has hop3/ leading to /etc"],
    ["a link to a missing file of the server", "mkdir -p $out/hop3; ln -s /etc/no-such-file $out/hop3/runtime.json", "leading to /etc/no-such-file"],
    ["in a package that is a link to /etc", "ln -s /etc $out", "is a link to /etc"],
  ])("refuses runtime.json %s (NIX_RUNTIME_JSON_OUTSIDE_PACKAGE)", async (_what, script, words) => {
    const dir = makeApp({ "hop3.nix": derivationNix(script) });
    const error = await caught(() => build(dir));
    expect(error.code).toBe("NIX_RUNTIME_JSON_OUTSIDE_PACKAGE");
    expect(error.message).toContain(words);
    expect(JSON.stringify(error)).not.toContain("root:");
  });

  it("takes a runtime.json that is a link within the package", async () => {
    const dir = makeApp({
      "hop3.nix": derivationNix(`mkdir -p $out/share $out/hop3; echo '{"workers": {"web": "inside"}}' > $out/share/runtime.json; ln -s ../share/runtime.json $out/hop3/runtime.json`),
    });
    expect((await build(dir)).runtime.workers).toEqual({ web: "inside" });
  });
});

describe("the Nix daemon", () => {
  const op = () => ({ ...distribution.operationContext({ logger: createMemoryLogger() }) });
  const started: number[] = [];
  afterAll(() => {
    for (const pid of started) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
  });

  it("is reached by the group that owns its socket's directory (nix-users)", () => {
    expect(socketGroups("/nix/var/nix/daemon-socket/socket")).toEqual([lookupGroup("nix-users")!.gid]);
  });

  it("is started by Hop3 when none answers: detached in its own session, logging to a file, once for concurrent builds", async () => {
    const dir = tempDir("hop3-daemon-");
    const socket = join(dir, "socket");
    const paths = { program: "nix-daemon", socket, logFile: join(dir, "log", "nix-daemon.log"), lockFile: join(dir, "daemon.lock") };
    expect(await daemonAnswers(socket)).toBe(false);

    const results = await Promise.all([ensureNixDaemon(op(), paths), ensureNixDaemon(op(), paths), ensureNixDaemon(op(), paths)]);
    const first = results.find((result) => result.how === "started")!;
    if (first?.pid) started.push(first.pid);
    expect(results.map((result) => result.how).sort()).toEqual(["running", "running", "started"]);
    expect(await daemonAnswers(socket)).toBe(true);
    expect(existsSync(paths.logFile)).toBe(true);
    expect(existsSync(paths.lockFile)).toBe(false);

    // setsid: the session (field 6 of /proc/<pid>/stat) is the daemon's own.
    const stat = readFileSync(`/proc/${first.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    expect(fields[3]).toBe(String(first.pid));
    expect(readFileSync(`/proc/${first.pid}/cmdline`, "utf8").split("\0")[0]).toMatch(/nix-daemon$/);
    expect((await ensureNixDaemon(op(), paths)).how).toBe("running");
  });

  it("is started by the build when none answers, and the app's user builds through it", async () => {
    const dir = tempDir("hop3-daemon-");
    chmodSync(dir, 0o755);
    // Another socket than the machine's daemon's, as NIX_DAEMON_SOCKET_PATH says; its log in NIX_LOG_DIR.
    const ownEnv = { ...env, NIX_DAEMON_SOCKET_PATH: join(dir, "socket"), NIX_LOG_DIR: join(dir, "log") };
    const own = createDistribution({ plugins: [nixPlugin()], env: ownEnv });
    const logger = createMemoryLogger();
    const app = makeApp({ "hop3.nix": derivationNix(WRITE_RUNTIME_JSON) }, "through-new-daemon");
    const artifact = await own.build(await own.plan(app), { logger });
    const startedLine = logger.entries.map((entry) => entry.text).find((text) => text.startsWith("Started the Nix daemon"));
    const pid = Number(/pid (\d+)/.exec(startedLine ?? "")?.[1]);
    if (pid) started.push(pid);
    expect(startedLine).toBe(`Started the Nix daemon (pid ${pid}, log ${join(dir, "log", "nix-daemon.log")}).`);
    expect(artifact.location).toMatch(/^\/nix\/store\//);
    const user = findAppUser({ home, env }, "through-new-daemon")!;
    expect(readFileSync(join(dir, "log", "nix-daemon.log"), "utf8")).toContain(`user ${user.name}`);
  });

  it("fails with NIX_DAEMON_UNAVAILABLE, with the daemon's last words, when it cannot be started", async () => {
    const dir = tempDir("hop3-daemon-");
    const fake = join(dir, "nix-daemon");
    writeFileSync(fake, "#!/bin/sh\necho 'cannot start: no store here' >&2\nexit 3\n");
    chmodSync(fake, 0o755);
    const error = await caught(() => ensureNixDaemon(op(), { program: fake, socket: join(dir, "socket"), logFile: join(dir, "log"), lockFile: join(dir, "lock") }));
    expect(error.code).toBe("NIX_DAEMON_UNAVAILABLE");
    expect(error.message).toContain("exited with code 3");
    expect(error.message).toContain("cannot start: no store here");
    expect(error.hint).toContain("nix-daemon");
  });
});
