import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesUnder, waitFor } from "@hop3/test-support";
import { freePort, hop3, httpGet } from "./run-hop3.js";

// hop3.toml [[volumes]] through the real `hop3`, as root, with the Local builder, uWSGI and nginx:
// a file written into the volume outlives a redeploy and a rollback, a failed deploy leaves the
// running release as it was, the directory is the app user's alone, and destroy removes it.
const fixture = resolve(import.meta.dirname, "../../../test-fixtures/local-apps/volume-app");
const root = mkdtempSync(join(tmpdir(), "hop3-volumes-"));
const home = join(root, "home");
const app = "vol";
const volume = join(home, "apps", app, "volumes", "store");
let port = 0;
let env: Record<string, string> = {};
const run = (...args: string[]) => hop3(args, env);
const serving = async () => (await httpGet(port, `${app}.localhost`, "/release")).body.trim();
const get = async (path: string) => {
  const answer = await httpGet(port, `${app}.localhost`, path);
  expect(answer.status, `GET ${path}: ${answer.body}`).toBe(200);
  return answer.body;
};

/** A copy of the fixture to deploy, in a directory of its own (the app is named by --app). */
function source(): string {
  const dir = join(mkdtempSync(join(root, "src-")), "volume-app");
  cpSync(fixture, dir, { recursive: true });
  return dir;
}

async function deploy(dir: string): Promise<string> {
  const result = await run("deploy", dir, "--app", app, "--json");
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  const release = result.json<{ release: string }>().release;
  await waitFor(async () => (await serving()) === release, 15_000, `release ${release} to serve`);
  return release;
}

const releaseDir = (release: string) => join(home, "apps", app, "builds", release);
const userOf = (uid: number) => readFileSync("/etc/passwd", "utf8").split("\n").find((line) => line.split(":")[2] === String(uid))?.split(":")[0];

beforeAll(async () => {
  chmodSync(root, 0o711); // app users must pass through to HOP3_HOME
  port = await freePort();
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port), HOP3_KEEP_RELEASES: "5" };
});

afterAll(async () => {
  await run("destroy", app, "--yes");
  await run("server", "stop");
  expect(processesUnder(home)).toEqual([]);
  rmSync(root, { recursive: true, force: true });
}, 120_000);

describe.sequential("a persistent volume", () => {
  let first = "";
  let second = "";

  it("is linked at its target before the app starts, the app user's alone", async () => {
    first = await deploy(source());
    expect(await get("/")).toContain("VOLUME OK");
    // Upstream's check for its 170-flask-volume: the app sees a path holding /volumes/store.
    expect((await get("/config")).trim()).toBe(volume);
    expect(readlinkSync(join(releaseDir(first), "data", "store"))).toBe(volume);

    const stat = statSync(volume);
    expect(stat.uid).toBeGreaterThan(0);
    expect(userOf(stat.uid)).toMatch(/-vol$/);
    expect(stat.mode & 0o777).toBe(0o700);
    const parent = lstatSync(join(home, "apps", app, "volumes"));
    expect([parent.uid, parent.gid, parent.mode & 0o777]).toEqual([0, stat.gid, 0o750]);

    expect(await get("/write?text=one")).toBe("WROTE\n");
    expect(readFileSync(join(volume, "note.txt"), "utf8")).toBe("one");
    // Another user (nobody, as another app would be) can neither list nor read it.
    for (const args of [["ls", volume], ["cat", join(volume, "note.txt")]]) {
      expect(() => execFileSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", ...args], { stdio: "pipe" })).toThrow(/Permission denied/);
    }
  });

  it("is listed by hop3 status, with its target, path and size", async () => {
    const status = await run("status", app, "--json");
    expect(status.code, status.stderr).toBe(0);
    expect(status.json<{ volumes: unknown[] }>().volumes).toEqual([{ name: "store", target: "data/store", path: volume, sizeBytes: 3 }]);
    const text = await run("status", app);
    expect(text.stdout).toContain(`volume store: data/store -> ${volume} (3 bytes)`);
  });

  it("keeps its files across a redeploy, the placeholder directory the app ships at the target replaced", async () => {
    const dir = source();
    mkdirSync(join(dir, "data", "store"), { recursive: true });
    writeFileSync(join(dir, "data", "store", ".gitkeep"), "");
    second = await deploy(dir);
    expect(readlinkSync(join(releaseDir(second), "data", "store"))).toBe(volume);
    expect(existsSync(join(volume, ".gitkeep"))).toBe(false);
    expect(second).not.toBe(first);
    expect(await get("/read")).toBe("one");
    expect(await get("/write?text=two")).toBe("WROTE\n");
  });

  it("is the same volume after a rollback to the older release, linked again if its link went", async () => {
    rmSync(join(releaseDir(first), "data", "store"));
    const rolled = await run("rollback", app, "--json");
    expect(rolled.code, `${rolled.stdout}\n${rolled.stderr}`).toBe(0);
    await waitFor(async () => (await serving()) === first, 15_000, "the first release to serve again");
    expect(await get("/read")).toBe("two");
    expect(readlinkSync(join(releaseDir(first), "data", "store"))).toBe(volume);
  });

  it("is left as it was, with the release that serves, by a deploy that is refused", async () => {
    const dir = source();
    mkdirSync(join(dir, "data", "store"), { recursive: true });
    writeFileSync(join(dir, "data", "store", "shipped.txt"), "from the sources");
    const refused = await run("deploy", dir, "--app", app, "--json");
    expect(refused.code).toBe(1);
    expect(refused.json<{ error: { code: string } }>().error.code).toBe("VOLUME_TARGET_OCCUPIED");
    expect((await get("/release")).trim()).toBe(first);
    expect(await get("/read")).toBe("two");
    expect(existsSync(join(volume, "shipped.txt"))).toBe(false);
    expect(readlinkSync(join(releaseDir(first), "data", "store"))).toBe(volume);
  });

  it("goes with the app, by destroy only", async () => {
    const destroyed = await run("destroy", app, "--yes");
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(existsSync(join(home, "apps", app))).toBe(false);
    // No user left whose HOME is this app's (another home's "vol" app has a user of its own).
    expect(readFileSync("/etc/passwd", "utf8").split("\n").filter((line) => line.endsWith(`:${join(home, "apps", app, "data")}:/usr/sbin/nologin`))).toEqual([]);
  });
});
