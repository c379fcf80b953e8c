import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDistribution, createMemoryLogger, removeAppUser, type AppUser, type BuildArtifact, type Distribution, type MemoryLogger } from "@hop3/core";
import { localBuilderPlugin, type LocalBuilderOptions } from "../src/index.js";
import { caught, removeTempHomes, tempHome } from "./helpers.js";

// Builds as root, with the real toolchains: everything the app ships runs as the app's own user,
// the release is the app's, and Hop3 never reads, writes or removes through what the app made.
const home = tempHome();
const env = { ...process.env, HOP3_HOME: home, HOP3_TEST_SECRET: "hop3-secret-of-the-server" };
const scratch = mkdtempSync(join(tmpdir(), "h3li-"));
chmodSync(scratch, 0o755); // the app's user reaches the test's stand-in programs
const apps = new Set<string>();
let distribution: Distribution;

const distributionWith = (options: LocalBuilderOptions = {}): Distribution => createDistribution({ plugins: [localBuilderPlugin(options)], env });

/** An app directory a user would deploy, named `name`. */
function appDir(name: string, files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(scratch, "src-")), name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  apps.add(name);
  return dir;
}

async function build(dir: string, d: Distribution = distribution): Promise<{ logger: MemoryLogger; artifact: BuildArtifact; location: string; env: Record<string, string> }> {
  const logger = createMemoryLogger();
  const artifact = await d.build(await d.plan(dir), { logger });
  return { logger, artifact, location: artifact.location, env: artifact.runtime.env };
}

/** Everything the build printed or logged, and the error's message: where a secret could leak. */
const everything = (logger: MemoryLogger, error?: { message: string }): string => [...logger.entries.map((entry) => entry.text), error?.message ?? ""].join("\n");

const userOf = (app: string): AppUser => distribution.appContext(app).appUser;

/** Every entry under `dir`, links not followed. */
function walk(dir: string): string[] {
  const out: string[] = [dir];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (lstatSync(path).isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

/** The machine's secret: lines of /etc/shadow that name a user (never printed by these tests). */
const shadowLines = (): string[] => readFileSync("/etc/shadow", "utf8").split("\n").filter((line) => line.includes(":"));

beforeAll(() => {
  distribution = distributionWith();
});

afterAll(() => {
  for (const app of apps) removeAppUser({ home, env }, app);
  removeTempHomes();
});

describe("what the app ships runs as the app's user", () => {
  it("a build step prints the app's uid, and sees none of Hop3's own environment", async () => {
    const dir = appDir("whoami", {
      Procfile: "web: sleep 1000\nprebuild: echo prebuild-uid=$(id -u)\n",
      "hop3.toml": '[build]\ntoolchain = "generic"\nbuild = ["echo build-uid=$(id -u) gid=$(id -g) home=$HOME", "env | sort"]\n[env]\nAPP_SETTING = "from-hop3-toml"\n',
    });
    const { logger } = await build(dir);
    const user = userOf("whoami");
    expect(user.dedicated).toBe(true);
    expect(user.uid).not.toBe(0);
    const output = everything(logger);
    expect(output).toContain(`prebuild-uid=${user.uid}\n`);
    expect(output).toContain(`build-uid=${user.uid} gid=${user.gid} home=${user.home}`);
    expect(output).toContain("APP_SETTING=from-hop3-toml");
    expect(output).not.toContain("hop3-secret-of-the-server");
    expect(output).not.toContain("HOP3_HOME=");
  });

  it.each([
    ["hop3.toml [build] build", { "hop3.toml": '[build]\ntoolchain = "generic"\nbuild = "cat /etc/shadow"\n', Procfile: "web: sleep 1000\n" }],
    ["a Procfile prebuild hook", { "hop3.toml": '[build]\ntoolchain = "generic"\n', Procfile: "web: sleep 1000\nprebuild: cat /etc/shadow\n" }],
  ])("%s that reads /etc/shadow fails with LOCAL_BUILD_FAILED, and shows none of it", async (_what, files) => {
    const dir = appDir("shadow", files);
    const logger = createMemoryLogger();
    const error = await caught(async () => distribution.build(await distribution.plan(dir), { logger }));
    expect(error.code).toBe("LOCAL_BUILD_FAILED");
    const output = everything(logger, error);
    expect(output).toContain("Permission denied");
    for (const line of shadowLines()) expect(output.includes(line), "a line of /etc/shadow was shown").toBe(false);
    expect(readdirSync(join(home, "apps", "shadow", "builds"))).toEqual([]);
  });
});

describe("the release and the caches", () => {
  it("the release is the app's; builds/, cache/ and the records are root's", async () => {
    const dir = appDir("owned", {
      Procfile: "web: python app.py\n",
      "app.py": "print('hi')\n",
      "requirements.txt": "# owned\n",
      "bin/tool": "#!/bin/sh\n",
    });
    chmodSync(join(dir, "bin/tool"), 0o4777); // setuid and world-writable in the sources
    symlinkSync("/etc/passwd", join(dir, "passwd-link"));
    const { location } = await build(dir);
    const user = userOf("owned");
    const app = join(home, "apps", "owned");

    const builds = lstatSync(join(app, "builds"));
    expect([builds.uid, builds.gid, builds.mode & 0o7777]).toEqual([0, user.gid, 0o750]);
    for (const path of walk(location)) {
      const stat = lstatSync(path);
      expect(stat.uid, path).toBe(user.uid);
      if (!stat.isSymbolicLink()) expect(stat.mode & 0o7022, path).toBe(0);
    }
    expect(lstatSync(join(location, "bin/tool")).mode & 0o7777).toBe(0o755);
    expect(lstatSync(join(location, "app.py")).mode & 0o040).toBe(0o040); // the web user reads what the app publishes
    expect(readlinkSync(join(location, "passwd-link"))).toBe("/etc/passwd");

    for (const path of [join(app, "cache"), join(app, "cache", "python")]) {
      const stat = lstatSync(path);
      expect([stat.uid, stat.gid, stat.mode & 0o7777], path).toEqual([0, user.gid, 0o750]);
    }
    const venvs = readdirSync(join(app, "cache", "python")).filter((name) => name.startsWith("venv-"));
    expect(venvs).toHaveLength(1);
    expect(lstatSync(join(app, "cache", "python", venvs[0]!)).uid).toBe(user.uid);
    const records = lstatSync(join(app, "cache", "python", ".hop3"));
    expect([records.uid, records.mode & 0o7777]).toEqual([0, 0o700]);
    expect(lstatSync(join(app, "cache", "python", ".hop3", `${venvs[0]}.complete`)).uid).toBe(0);
  });

  it("a link the app plants where the virtualenv's record was once written is never written through", async () => {
    // A python3 that, like a package's install script, plants `.hop3-complete -> victim` in the new virtualenv.
    const victimDir = mkdtempSync(join(scratch, "victim-"));
    const victim = join(victimDir, "victim");
    writeFileSync(victim, "root's own file\n");
    const wrappers = mkdtempSync(join(scratch, "bin-"));
    chmodSync(wrappers, 0o755);
    writeFileSync(
      join(wrappers, "python3"),
      `#!/bin/sh\n/usr/bin/python3 "$@"; status=$?\nif [ "$1" = -m ] && [ "$2" = venv ]; then ln -s ${victim} "$3/.hop3-complete"; echo planted; fi\nexit $status\n`,
    );
    chmodSync(join(wrappers, "python3"), 0o755);
    const planting = distributionWith({ env: { PATH: `${wrappers}:/usr/bin:/bin` } });
    const dir = appDir("planted", { Procfile: "web: python app.py\n", "app.py": "", "requirements.txt": "# planted\n" });

    const first = await build(dir, planting);
    expect(everything(first.logger)).toContain("planted");
    const venv = first.env.VIRTUAL_ENV!;
    expect(lstatSync(join(venv, ".hop3-complete")).isSymbolicLink()).toBe(true);
    expect(readFileSync(victim, "utf8")).toBe("root's own file\n");

    // The record's own place is in a directory the app cannot write.
    const context = planting.appContext("planted");
    const record = join(home, "apps", "planted", "cache", "python", ".hop3", "planted.complete");
    const attempt = await context.runAsApp("ln", ["-s", victim, record], { allowFailure: true });
    expect(attempt.exitCode).not.toBe(0);
    expect(existsSync(record)).toBe(false);

    const second = await build(dir, planting);
    expect(everything(second.logger)).toContain("requirements.txt unchanged: reusing the virtualenv");
    expect(second.env.VIRTUAL_ENV).toBe(venv);
    expect(readFileSync(victim, "utf8")).toBe("root's own file\n");
  });

  it("a file Hop3 reads from the release is never read through a link out of it", async () => {
    const dir = appDir("swapped", {
      Procfile: "web: python app.py\n",
      "app.py": "",
      "requirements.txt": "",
      "hop3.toml": '[build]\nbefore-build = "ln -sf /etc/shadow requirements.txt"\n',
    });
    const logger = createMemoryLogger();
    const error = await caught(async () => distribution.build(await distribution.plan(dir), { logger }));
    expect(error.code).toBe("CONFIG_FILE_OUTSIDE_APP");
    const output = everything(logger, error);
    for (const line of shadowLines()) expect(output.includes(line), "a line of /etc/shadow was shown").toBe(false);
  });

  it("package.json linking out of the app is refused, never read", async () => {
    const dir = appDir("pkglink", { "server.js": "" });
    symlinkSync("/etc/shadow", join(dir, "package.json"));
    const error = await caught(async () => distribution.build(await distribution.plan(dir)));
    expect(error.code).toBe("CONFIG_FILE_OUTSIDE_APP");
    for (const line of shadowLines()) expect(error.message.includes(line)).toBe(false);
  });
});

describe("removing what the app owns", () => {
  it("a failed build is removed as the app, read-only directories included", async () => {
    const dir = appDir("readonly", {
      Procfile: "web: sleep 1000\n",
      "hop3.toml": '[build]\ntoolchain = "generic"\nbuild = ["mkdir -p ro/sub && touch ro/sub/file && chmod 0500 ro/sub ro", "exit 3"]\n',
    });
    const error = await caught(() => build(dir));
    expect(error.code).toBe("LOCAL_BUILD_FAILED");
    expect(readdirSync(join(home, "apps", "readonly", "builds"))).toEqual([]);
  });

  it("a release holding what the app cannot remove is kept, with LOCAL_CLEANUP_FAILED", async () => {
    const dir = appDir("stuck", { Procfile: "web: sleep 1000\n", "hop3.toml": '[build]\ntoolchain = "generic"\n' });
    const { artifact, location } = await build(dir);
    mkdirSync(join(location, "root-owned")); // another owner's, as after a restore by hand
    writeFileSync(join(location, "root-owned", "file"), "");
    const local = distribution.registry.builders().find((b) => b.name === "local")!;
    const error = await caught(() => local.discard!(artifact, distribution.appContext("stuck")));
    expect(error.code).toBe("LOCAL_CLEANUP_FAILED");
    expect(error.message).toContain(location);
    expect(existsSync(join(location, "root-owned", "file"))).toBe(true);
  });

  it("discard removes the release and nothing a link in it leads to", async () => {
    const outside = mkdtempSync(join(scratch, "outside-"));
    chmodSync(outside, 0o777); // even a directory the app could write to is not emptied by Hop3
    writeFileSync(join(outside, "keep"), "keep\n");
    const dir = appDir("linked", {
      Procfile: "web: sleep 1000\n",
      "hop3.toml": `[build]\ntoolchain = "generic"\nbuild = "ln -s ${outside} escape && ln -s ${outside}/keep escape-file"\n`,
    });
    const { artifact, location } = await build(dir);
    expect(readlinkSync(join(location, "escape"))).toBe(outside);
    const local = distribution.registry.builders().find((b) => b.name === "local")!;
    await local.discard!(artifact, distribution.appContext("linked"));
    expect(existsSync(location)).toBe(false);
    expect(readFileSync(join(outside, "keep"), "utf8")).toBe("keep\n");
    const builds = lstatSync(join(home, "apps", "linked", "builds"));
    expect(builds.uid).toBe(0);
  });
});
