import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import autocannon from "autocannon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRASH_POINTS } from "@hop3/core";
import { freePort, hop3, httpGet } from "./run-hop3.js";

// Releases, zero-downtime deploys, rollback and crash safety, against the real nix-build, uWSGI
// emperor and nginx, in a private HOP3_HOME on a free loopback port. The fixture answers 503
// while it warms up and "release <id>" after: a request that gets anything else failed.
const fixture = resolve(import.meta.dirname, "../../../test-fixtures/apps/nix-release");
const home = mkdtempSync(join(tmpdir(), "hop3-releases-"));
let port = 0;
let env: Record<string, string> = {};
const run = (...args: string[]) => hop3(args, env);

/** A copy of the fixture whose release.txt says `id`. */
function appSource(name: string): { dir: string; release(id: string): string } {
  const dir = join(mkdtempSync(join(tmpdir(), "hop3-releases-app-")), name);
  cpSync(fixture, dir, { recursive: true });
  return {
    dir,
    release(id: string) {
      writeFileSync(join(dir, "release.txt"), `${id}\n`);
      return dir;
    },
  };
}

/** nginx's worker processes: the same pids as long as nginx was not reloaded. */
function nginxWorkers(): string {
  const master = readFileSync(join(home, "nginx", "nginx.pid"), "utf8").trim();
  return readFileSync(`/proc/${master}/task/${master}/children`, "utf8").trim();
}

const vassalsOf = (app: string) => readdirSync(join(home, "uwsgi", "vassals")).filter((file) => file.startsWith(`${app}_`) && file.endsWith(".ini"));
const releasesOf = async (app: string) => (await run("releases", app, "--json")).json<Array<{ id: string; status: string }>>();

function processesOfHome(): string[] {
  try {
    return execFileSync("pgrep", ["-af", home], { encoding: "utf8" }).split("\n").filter((line) => line.trim() !== "");
  } catch {
    return [];
  }
}

beforeAll(async () => {
  port = await freePort();
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port), NIX_CONFIG: "substituters =\n", HOP3_KEEP_RELEASES: "4" };
});

afterAll(async () => {
  await run("server", "stop");
  expect(processesOfHome()).toEqual([]);
});

describe.sequential("releases that never break", () => {
  it("fails no request (no reset, no 502, no half-started release) through 10 deploys (one broken), 2 rollbacks and 2 restarts, without reloading nginx", async () => {
    const app = appSource("steady");
    const first = await run("deploy", app.release("v0"), "--json");
    expect(first.code, first.stderr).toBe(0);

    const seen = new Map<string, number>();
    const connectionErrors: string[] = [];
    let bad = 0;
    // Bounded: at most 300 requests a second on 16 keep-alive loopback connections, for at most 7
    // minutes. autocannon never retries: every reset or 502 would count. The fixture's accept queue
    // is Python's default of 5: on a loaded machine it fills, and a connection's first packet is
    // dropped (the case the drain must still see), and nginx waits for the packet sent again.
    let load!: autocannon.Instance;
    const finished = new Promise<autocannon.Result>((resolve, reject) => {
      load = autocannon(
        {
          url: `http://127.0.0.1:${port}/`,
          headers: { Host: "steady.localhost" },
          connections: 16,
          overallRate: 300,
          duration: 420,
          verifyBody: (raw) => {
            const body = String(raw ?? "");
            const ok = /^release v\d+\n$/.test(body);
            if (ok) seen.set(body.trim(), (seen.get(body.trim()) ?? 0) + 1);
            else bad++;
            return ok;
          },
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
      load.on("reqError", (error: NodeJS.ErrnoException) => connectionErrors.push(error.code ?? error.message));
    });

    const workersBefore = nginxWorkers();
    for (let i = 1; i <= 10; i++) {
      const broken = i === 6;
      const result = await run("deploy", app.release(broken ? "broken" : `v${i}`), "--json");
      if (broken) {
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain("error[HEALTH_CHECK_FAILED]");
        expect(result.stderr).toContain("nix-release broken listening on"); // the new release's last log lines
        expect(result.stderr).toContain("was left serving");
      } else expect(result.code, result.stderr).toBe(0);
    }
    const back = await run("rollback", "steady", "--json");
    expect(back.code, back.stderr).toBe(0);
    expect((await httpGet(port, "steady.localhost")).body).toBe("release v9\n");
    const backAgain = await run("rollback", "steady", "--json");
    expect(backAgain.code, backAgain.stderr).toBe(0);
    expect((await httpGet(port, "steady.localhost")).body).toBe("release v8\n");
    for (let i = 0; i < 2; i++) {
      const restarted = await run("restart", "steady", "--json");
      expect(restarted.code, restarted.stderr).toBe(0);
    }
    expect((await httpGet(port, "steady.localhost")).body).toBe("release v8\n");

    load.stop();
    const result = await finished;
    // No request failed in any way: none was answered by a half-started or broken release (a 503 or
    // another body) or by nginx itself (a 502 or 504: the old slot stopped under it), none timed out,
    // no connection was reset (a switch reloads no nginx, so no keep-alive connection is closed under
    // a request). Resets are counted apart from the other failures. nginx's error log shows every
    // attempt that failed on the way (a 502 is sent again to the live slot), printed for the record.
    const resets = connectionErrors.filter((code) => code === "ECONNRESET").length;
    const notOk = readFileSync(join(home, "nginx", "logs", "access.log"), "utf8").split("\n").filter((line) => / " (?!200 )\d{3} /.test(line));
    const answeredByNginx = notOk.filter((line) => / " 50[24] /.test(line)).length;
    const upstreamErrors = readFileSync(join(home, "nginx", "logs", "error.log"), "utf8").split("\n").filter((line) => line.includes("upstream"));
    console.warn(`${result.requests.total} requests during 14 switches (${(result.requests.total / ((result.finish.getTime() - result.start.getTime()) / 1000)).toFixed(0)}/s): ${resets} reset(s), ${connectionErrors.length - resets} other connection error(s), ${result.non2xx} non-2xx (${answeredByNginx} from nginx itself), ${result.timeouts} timeout(s); upstream attempts that failed (a 502 is sent again to the live slot): ${upstreamErrors.length}`);
    // On failure, nginx's own lines say which request failed and how: its status, when, to where.
    const why = [...notOk.slice(0, 20), ...upstreamErrors.slice(0, 20)].join("\n");
    expect({ timeouts: result.timeouts, resets, otherErrors: connectionErrors.length - resets, non2xx: result.non2xx, wrongBodies: bad }, why).toEqual({ timeouts: 0, resets: 0, otherErrors: 0, non2xx: 0, wrongBodies: 0 });
    expect(result.errors).toBe(0);
    expect(nginxWorkers()).toBe(workersBefore); // no switch reloaded nginx
    expect(result.requests.total).toBeGreaterThan(500);
    // The stream saw the releases change under it, never the broken one.
    expect(seen.size).toBeGreaterThanOrEqual(5);
    expect([...seen.keys()]).not.toContain("release broken");
    // Only the live release's processes are left.
    expect(vassalsOf("steady")).toHaveLength(1);
  }, 480_000);

  it("lists the kept releases, newest first, and prunes what the older ones held", async () => {
    const releases = await releasesOf("steady");
    expect(releases).toHaveLength(4);
    expect(releases.map((r) => r.status)).toEqual(["superseded", "superseded", "live", "superseded"]);
    const kept = new Set(releases.map((r) => r.id));
    // A GC root per kept release, none for the pruned ones.
    expect(readdirSync(join(home, "apps", "steady", "nix", "gcroots")).filter((id) => !kept.has(id))).toEqual([]);
    const named = await run("rollback", "steady", releases[0]!.id, "--json");
    expect(named.code, named.stderr).toBe(0);
    expect((await httpGet(port, "steady.localhost")).body).toBe("release v10\n");
    const unknown = await run("rollback", "steady", "20000101T000000Z-none");
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("error[RELEASE_NOT_FOUND]");
  }, 120_000);

  it.each(CRASH_POINTS)("leaves the app serving when a deploy is killed %s, and the next deploy repairs it", async (point) => {
    const app = appSource(`crash-${point}`);
    const name = `crash-${point}`;
    expect((await run("deploy", app.release("v1"))).code).toBe(0);
    const killed = await hop3(["deploy", app.release("v2")], { ...env, HOP3_TEST_CRASH_AT: point });
    expect(killed.code).not.toBe(0);
    expect(killed.stderr).not.toContain(`${name} is live`);

    const page = await httpGet(port, `${name}.localhost`);
    expect(page.status).toBe(200);
    expect(["release v1\n", "release v2\n"]).toContain(page.body);
    expect((await releasesOf(name)).some((r) => r.status === "deploying")).toBe(true);

    // The dead deploy's lock is taken over; what it left is repaired.
    const next = await run("deploy", app.release("v3"), "--json");
    expect(next.code, next.stderr).toBe(0);
    expect((await httpGet(port, `${name}.localhost`)).body).toBe("release v3\n");
    expect(vassalsOf(name)).toHaveLength(1);
    expect(existsSync(join(home, "apps", name, "deploy", "artifact.pending.json"))).toBe(false);
    const statuses = (await releasesOf(name)).map((r) => r.status);
    expect(statuses).toEqual(["live", "interrupted", "superseded"]);
  }, 120_000);

  it("brings every app's live release back with `hop3 server start` after the server stopped", async () => {
    expect((await run("server", "stop")).code).toBe(0);
    const started = await run("server", "start");
    expect(started.code, started.stderr).toBe(0);
    for (const [name, body] of [["steady", "release v10\n"], ["crash-after-switch", "release v3\n"]] as const) {
      let page = { status: 0, body: "" };
      for (let i = 0; i < 100 && page.status !== 200; i++) {
        page = await httpGet(port, `${name}.localhost`).catch(() => page);
        if (page.status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(page.body).toBe(body);
    }
    expect(JSON.parse(readFileSync(join(home, "apps", "steady", "deploy", "state.json"), "utf8")).pending).toBeUndefined();
  }, 120_000);
});
