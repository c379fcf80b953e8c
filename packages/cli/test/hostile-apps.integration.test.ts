import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesUnder, waitFor } from "@hop3/test-support";
import { writeCaseApp } from "./hostile-home.js";
import { freePort, hop3, httpGet, type Hop3Run } from "./run-hop3.js";

// The isolation suite: apps that try what no app may do, deployed through the real `hop3`, as root,
// against the real nix-build, uWSGI emperor, nginx and Docker engine. Each attack must fail (with a
// coded error where Hop3 refuses it), and `neighbour`, which holds a secret in its environment and its
// data directory, must keep serving from the same processes. The last test prints a table of each
// attack, what stopped it, and the neighbour's pids before and after.
const fixtures = resolve(import.meta.dirname, "../../../test-fixtures/hostile-apps");
const START_DOCKERD = resolve(import.meta.dirname, "../../../scripts/start-dockerd.sh");
const root = mkdtempSync(join(tmpdir(), "hop3-isolation-"));
const home = join(root, "home");
const apps = join(root, "apps");
const SECRET = `neighbour-secret-${randomUUID()}`;
const MiB = 1024 * 1024;
let port = 0;
let env: Record<string, string> = {};
const run = (args: readonly string[], cwd?: string) => hop3(args, env, cwd);
const get = (app: string, path = "/") => httpGet(port, `${app}.localhost`, path);
const probe = async (path: string) => {
  const answer = await get("probe", path);
  expect(answer.status, `GET ${path}: ${answer.body}`).toBe(200);
  return answer.body;
};
/** The first line of root's entry in /etc/shadow: what no app may ever show. */
const shadowRoot = readFileSync("/etc/shadow", "utf8").split("\n").find((line) => line.startsWith("root:"))!;

interface Row {
  readonly attack: string;
  readonly stoppedBy: string;
  readonly before: readonly number[];
  readonly after: readonly number[];
}
const report: Row[] = [];

async function pidsOf(app: string): Promise<number[]> {
  const result = await run(["status", app, "--json"]);
  expect(result.code, result.stderr).toBe(0);
  return (result.json<{ workers: Array<{ pid?: number }> }>().workers ?? []).flatMap((worker) => (worker.pid ? [worker.pid] : []));
}

/** The neighbour's pids: its instances as `hop3 status` sees them, and the server that answers, as it says itself. */
async function neighbourPids(): Promise<number[]> {
  const page = await get("neighbour");
  expect(page.status).toBe(200);
  const served = Number(/^neighbour ok pid=(\d+)$/.exec(page.body)?.[1]);
  expect(served).toBeGreaterThan(0);
  return [...(await pidsOf("neighbour")), served];
}

/** Runs one attack between two looks at the neighbour: it must answer, from the same processes. */
async function attack(name: string, stoppedBy: string, body: () => Promise<void>): Promise<void> {
  const before = await neighbourPids();
  expect(before.length).toBeGreaterThan(1);
  await body();
  const after = await neighbourPids();
  expect(after).toEqual(before);
  report.push({ attack: name, stoppedBy, before, after });
}

/** A copy of a fixture to deploy (some get files added), in a directory app users may not read. */
function appDir(name: string): string {
  const dir = join(apps, name);
  cpSync(join(fixtures, name), dir, { recursive: true });
  return dir;
}

const expectRefused = (result: Hop3Run, code: string) => {
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(1);
  expect(result.json<{ error: { code: string } }>().error.code).toBe(code);
  expect(result.stderr).not.toMatch(/\n\s+at /); // a coded error, never a stack trace
  expect(`${result.stdout}${result.stderr}`).not.toContain(shadowRoot);
};

beforeAll(async () => {
  chmodSync(root, 0o711); // app users must pass through to HOP3_HOME; the app sources stay root's
  mkdirSync(apps, { mode: 0o700 });
  port = await freePort();
  // Small log limits, so a 30 MB burst has to be rotated and capped.
  const config = join(root, "config.json");
  writeFileSync(config, JSON.stringify({ logs: { maxSize: "1M", keep: 2, appCap: "4M" } }));
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port), HOP3_HTTPS_PORT: String(await freePort()), HOP3_CONFIG: config, NIX_CONFIG: "substituters =\n", HOP3_EXEC_MARKER: join(root, "exec-marker") };
  for (const [app, extra] of [["neighbour", ["--env", `SECRET_KEY=${SECRET}`]], ["probe", []]] as const) {
    const result = await run(["deploy", appDir(app), "--app", app, ...extra]);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  }
}, 300_000);

afterAll(async () => {
  for (const app of ["probe", "neighbour", "static-links", "plugin-in-app", "docker-socket"]) await run(["destroy", app, "--yes"]);
  await run(["server", "stop"]);
  expect(processesUnder(home)).toEqual([]);
  rmSync(root, { recursive: true, force: true });
}, 120_000);

describe("an app is boxed: each attack fails and the neighbour keeps serving, untouched", () => {
  it("runs as its own user, with no capability and no way back to root", async () => {
    const whoami = await probe("/whoami");
    const uid = Number(/^Uid:\s+(\d+)/m.exec(whoami)?.[1]);
    expect(uid).toBeGreaterThan(0);
    expect(readFileSync("/etc/passwd", "utf8")).toMatch(new RegExp(`^[^:]+-probe:x:${uid}:`, "m"));
    expect(whoami).toMatch(/^CapEff:\s+0+$/m);
    expect(whoami).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(whoami).toMatch(/^cgroup \d+:memory:\/hop3\/[^/]+-probe\/[ab]$/m);
    expect(whoami).toMatch(/^cgroup \d+:pids:\/hop3\/[^/]+-probe\/[ab]$/m);
  });

  it("1. a worker cannot read /etc/shadow", async () => {
    await attack("a worker reads /etc/shadow", "the app's own user (shadow is root's, 0640)", async () => {
      const answer = await probe("/read?path=/etc/shadow");
      expect(answer).toMatch(/^ERR .*Permission denied/);
      expect(answer).not.toContain(shadowRoot);
    });
  });

  it("2. a worker cannot read the neighbour's env, launcher, release, data, nor find its secret anywhere", async () => {
    await attack("a worker reads the neighbour's env, launcher, release and data directory, and searches HOP3_HOME and /proc/*/environ for its secret", "its own user: the neighbour's directory is open to the neighbour's group only; state files are root's, 0600; /proc/<pid>/environ is the owner's", async () => {
      const neighbour = join(home, "apps", "neighbour");
      expect(await probe(`/list?path=${neighbour}`)).toMatch(/^ERR .*Permission denied/);
      for (const file of ["app.json", "data/secret.txt", "deploy/artifact.json", "run/web.1.sh", "deploy/run/web.1.sh"]) {
        expect(await probe(`/read?path=${join(neighbour, file)}`)).toMatch(/^ERR /);
      }
      const release = readdirSync(join(neighbour, "builds"))[0]!;
      expect(await probe(`/read?path=${join(neighbour, "builds", release, "neighbour.py")}`)).toMatch(/^ERR .*Permission denied/);
      // Proof the search could find it: the secret is there, for root.
      expect(readFileSync(join(neighbour, "data", "secret.txt"), "utf8")).toBe(SECRET);
      expect(await probe(`/find?root=${home}&needle=${SECRET}`)).toBe("FOUND 0\n");
      expect(await probe(`/find?root=/proc/self&needle=${SECRET}`)).toBe("FOUND 0\n");
    });
  });

  it("3. a worker cannot write into HOP3_HOME or the neighbour's directories", async () => {
    await attack("a worker writes into HOP3_HOME and the neighbour's directories", "its own user: HOP3_HOME is root's (0711), the neighbour's directories its own", async () => {
      const targets = [
        join(home, "evil"),
        join(home, "apps", "evil"),
        join(home, "apps", "neighbour", "data", "evil"),
        join(home, "apps", "neighbour", "app.json"),
        join(home, "uwsgi", "vassals", "evil_web.1.ini"),
        join(home, "nginx", "sites", "evil.conf"),
      ];
      for (const target of targets) expect(await probe(`/write?path=${target}`), target).toMatch(/^ERR /);
      for (const target of targets.filter((t) => !t.endsWith("app.json"))) expect(existsSync(target), target).toBe(false);
    });
  });

  it("4. a fork bomb is stopped by the process limit", async () => {
    await attack("a fork bomb", "the app's pids cgroup (hop3.toml [limits] processes = 48)", async () => {
      const answer = await probe("/forkbomb?seconds=6");
      const forked = Number(/^FORKED (\d+) refused/.exec(answer)?.[1]);
      expect(answer).toMatch(/^FORKED \d+ refused: .*Resource temporarily unavailable/);
      expect(forked).toBeLessThan(48);
      // The neighbour answers while the bomb's children sleep.
      expect((await get("neighbour")).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 6_500));
    });
    expect(await probe("/")).toMatch(/^probe ok/); // and the probe itself serves again
  });

  it("6. a 30 MB burst to stdout is written, the worker keeps serving, and maintenance bounds the logs", async () => {
    await attack("a 30 MB burst to stdout in about a second", "worker output goes to a file (never a non-blocking socket); `hop3 server maintain` rotates and caps it", async () => {
      const before = await probe("/");
      expect(await probe("/burst?mb=30")).toBe("WROTE 30");
      // The same process answers. Once, on a loaded CI machine, the first try after the burst got a
      // 502 (cause not found): a 502 is retried for a while, a new pid (the worker died) never passes.
      const after = await waitFor(async () => {
        const page = await get("probe");
        return page.status === 200 ? page.body : undefined;
      }, 15_000, "the probe to answer after the burst");
      expect(after).toBe(before);
      const logs = join(home, "apps", "probe", "logs");
      const total = () => readdirSync(logs).reduce((sum, file) => sum + statSync(join(logs, file)).size, 0);
      expect(total()).toBeGreaterThan(30 * MiB);
      const maintained = await run(["server", "maintain"]);
      expect(maintained.code, maintained.stderr).toBe(0);
      expect(total()).toBeLessThanOrEqual(4 * MiB);
    });
  });

  it("5. allocating past the memory limit: killed, then respawned", async () => {
    await attack("allocating past its memory limit", "the app's memory cgroup (hop3.toml [limits] memory = 128M); uWSGI respawns the worker", async () => {
      const before = await probe("/");
      const answer = await get("probe", "/alloc?mb=400").catch((error: Error) => ({ status: 0, body: error.message }));
      expect(answer.body).not.toBe("ALLOCATED 400");
      const after = await waitFor(async () => {
        const page = await get("probe");
        return page.status === 200 && page.body !== before ? page.body : undefined;
      }, 30_000, "the probe to be respawned");
      expect(after).toMatch(/^probe ok pid=\d+$/);
    });
  });

  it("7. a static worker at /etc is refused; links in a static directory are never followed", async () => {
    await attack("a static worker at /etc, and a static directory holding links to /etc/passwd and /etc", "STATIC_DIR_OUTSIDE_ARTIFACT; nginx's disable_symlinks, its workers running as the web user", async () => {
      expectRefused(await run(["deploy", appDir("static-etc"), "--app", "static-etc", "--json"]), "STATIC_DIR_OUTSIDE_ARTIFACT");
      const deployed = await run(["deploy", appDir("static-links"), "--app", "static-links"]);
      expect(deployed.code, deployed.stderr).toBe(0);
      expect((await get("static-links")).body).toBe("static-links home page\n");
      const passwd = readFileSync("/etc/passwd", "utf8").split("\n")[0]!;
      for (const path of ["/passwd", "/etc/passwd", "/etc/hostname"]) {
        // Refused, or (a single-page site) answered with its own index.html: never the link's target.
        const answer = await get("static-links", path);
        const refusedOrIndex = [403, 404].includes(answer.status) || (answer.status === 200 && answer.body === "static-links home page\n");
        expect(refusedOrIndex, `${path}: ${answer.status} ${answer.body.slice(0, 80)}`).toBe(true);
        expect(answer.body).not.toContain(passwd);
      }
    });
  });

  it("8. a plugin an app ships is never loaded, even with Hop3 started from the app's directory", async () => {
    await attack("an app directory whose package.json names a plugin it ships in node_modules, with hop3 started there", "plugins load only from Hop3's config file and HOP3_PLUGINS", async () => {
      const dir = appDir("plugin-in-app");
      const marker = join(dir, "node_modules", "hop3-plugin-evil", "LOADED");
      for (const args of [["validate", "."], ["plan", "."], ["deploy", ".", "--app", "plugin-in-app"], ["plugins"]]) {
        const result = await run(args, dir);
        expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
        expect(result.stdout).not.toContain("hop3-plugin-evil");
      }
      expect(existsSync(marker)).toBe(false);
    });
  });

  it("9. a hop3.nix that reads /etc/shadow is refused", async () => {
    await attack("a hop3.nix that reads /etc/shadow", "Nix evaluates as the app's user, in restricted mode", async () => {
      const result = await run(["deploy", appDir("nix-read-shadow"), "--app", "nix-read-shadow", "--json"]);
      expect(result.code).toBe(1);
      expect(result.json<{ error: { code: string; message: string } }>().error.message).toContain("/etc/shadow");
      expect(`${result.stdout}${result.stderr}`).not.toContain(shadowRoot);
      expect(existsSync(join(home, "apps", "nix-read-shadow"))).toBe(false);
    });
  });

  it("10. a hop3.toml that allows unsafe native code cannot make Nix run builtins.exec", async () => {
    await attack("a hop3.toml that allows unsafe native code, with a hop3.nix calling builtins.exec", "the [nix] options allow-list (NIX_OPTION_NOT_ALLOWED)", async () => {
      expectRefused(await run(["deploy", appDir("nix-exec"), "--app", "nix-exec", "--json"]), "NIX_OPTION_NOT_ALLOWED");
      expect(existsSync(env.HOP3_EXEC_MARKER!)).toBe(false);
    });
  });

  it("11. a Local app's build step cannot read /etc/shadow", async () => {
    await attack("a Local app whose build step reads /etc/shadow", "the build runs as the app's user (LOCAL_BUILD_FAILED)", async () => {
      const result = await run(["deploy", appDir("local-read-shadow"), "--app", "local-read-shadow", "--json"]);
      expectRefused(result, "LOCAL_BUILD_FAILED");
      expect(result.json<{ error: { message: string } }>().error.message).toContain("Permission denied");
    });
  });

  it("12. a Docker app finds no Docker socket, runs as its image's USER and cannot gain privileges", async () => {
    await attack("a Docker app that looks for the Docker socket", "nothing is mounted into containers; the image's USER; --security-opt no-new-privileges", async () => {
      env.DOCKER_HOST ??= dockerHost();
      const dir = appDir("docker-socket");
      copyFileSync("/bin/busybox", join(dir, "busybox"));
      const deployed = await run(["deploy", dir, "--app", "docker-socket"]);
      expect(deployed.code, `${deployed.stdout}\n${deployed.stderr}`).toBe(0);
      const page = (await get("docker-socket")).body;
      expect(page).toContain("checked");
      expect(page).not.toContain("found");
      expect(page).toMatch(/NoNewPrivs:\s+1/);
      expect(page).toContain("uid=1000");
    });
  });

  it("13. a rwsgi worker loading a file out of the release, a jwsgi class a shell would run: refused before the build", async () => {
    await attack("rwsgi: ../neighbour/config.ru, and jwsgi: Hello;touch${IFS}/tmp/...", "UWSGI_RACK_FILE_INVALID, UWSGI_JWSGI_CLASS_INVALID from validate, plan and deploy's plan step (names only)", async () => {
      const injected = "/tmp/hop3-native-inject";
      rmSync(injected, { force: true });
      for (const [app, code] of [["native-escape", "UWSGI_RACK_FILE_INVALID"], ["native-inject", "UWSGI_JWSGI_CLASS_INVALID"]] as const) {
        const dir = appDir(app);
        for (const args of [["validate", dir], ["plan", dir], ["deploy", dir, "--app", app]]) expectRefused(await run([...args, "--json"]), code);
        expect(existsSync(join(home, "apps", app, "builds")), app).toBe(false);
      }
      expect(existsSync(injected)).toBe(false);
    });
  });

  it("14. a worker cannot read Hop3's TLS keys, nor plant an ACME challenge answer", async () => {
    const renewed = await run(["certs", "renew"]);
    expect(renewed.code, `${renewed.stdout}\n${renewed.stderr}`).toBe(0);
    await attack("a worker reads the neighbour's TLS key, the local CA's key and the ACME account keys, and writes into the ACME challenge directory", "keys are root's 0600 in directories of 0700 (tls/certs, tls/ca, tls/acme); the challenge directory is root's 0755", async () => {
      const tls = join(home, "tls");
      for (const file of [join(tls, "certs", "neighbour.localhost", "served.pem"), join(tls, "ca", "ca-key.pem")]) {
        expect(existsSync(file), file).toBe(true);
        expect(await probe(`/read?path=${file}`), file).toMatch(/^ERR .*Permission denied/);
      }
      expect(await probe(`/list?path=${join(tls, "acme")}`)).toMatch(/^ERR .*Permission denied/);
      expect(await probe(`/write?path=${join(tls, "acme-challenge", "planted")}`)).toMatch(/^ERR /);
      expect(existsSync(join(tls, "acme-challenge", "planted"))).toBe(false);
    });
    expect((await get("neighbour")).status).toBe(200); // local names keep plain HTTP
  });

  it("15. a backup never takes what an app's source links to; an archive brought with links or ../ restores nothing", async () => {
    await attack("links to /etc/shadow and /etc in a source being backed up, and an archive holding a link to /etc/shadow and a ../ path", "backups read regular files only, opened without following links; a restore verifies the whole archive first (BACKUP_ARCHIVE_UNSAFE)", async () => {
      const source = join(apps, "probe");
      symlinkSync("/etc/shadow", join(source, "shadow-link"));
      symlinkSync("/etc", join(source, "etc-link"));
      const created = await run(["backup", "create", "probe", "--json"]);
      expect(created.code, created.stderr).toBe(0);
      const backup = created.json<{ file: string; skipped: string[] }>();
      expect(backup.skipped.sort()).toEqual(["etc-link", "shadow-link"]);
      expect(readFileSync(backup.file, "latin1")).not.toContain(shadowRoot);

      const evil = mkdtempSync(join(root, "evil-"));
      mkdirSync(join(evil, "source"));
      symlinkSync("/etc/shadow", join(evil, "source", "link"));
      writeFileSync(join(evil, "source", "file"), "");
      const zero = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
      writeFileSync(join(evil, "manifest.json"), JSON.stringify({ formatVersion: 1, id: "probe-20000101T000000Z-evil", app: "probe", createdAt: "2000-01-01T00:00:00Z", hop3Version: "0", release: { id: "r", builder: "local", deployer: "uwsgi" }, entries: [{ path: "source/link", size: 0, sha256: zero, mode: 420 }], addons: [] }));
      for (const [id, members] of [["probe-20000101T000000Z-evil", ["manifest.json", "source/link"]], ["probe-20000101T000000Z-dots", ["--transform=s,^source/file,source/../../file,", "manifest.json", "source/file"]]] as const) {
        execFileSync("tar", ["-cf", join(home, "backups", `${id}.tar`), "-C", evil, "-P", ...members]);
        expectRefused(await run(["backup", "restore", id, "--to", "evil", "--json"]), "BACKUP_ARCHIVE_UNSAFE");
        expect(existsSync(join(home, "apps", "evil"))).toBe(false);
      }
      expect(readdirSync(join(home, "backups")).filter((name) => !name.endsWith(".tar"))).toEqual([]);
    });
  });

  it("16. Hop3 run under `node --inspect` puts no debugger in the schedule it runs as root", async () => {
    await attack("the operator runs `node --inspect hop3 deploy`: an inspector in the schedule that runs `hop3 server maintain` as root every minute would let any process, an app's included, run code as root", "the schedule (and the boot unit) keep only node's module-loading flags (runningProgram)", async () => {
      const dir = writeCaseApp(apps, "inspector-bait", {});
      const result = await hop3(["deploy", dir], env, undefined, ["--inspect=127.0.0.1:0", "--cpu-prof", "--cpu-prof-dir", join(root, "profiles")]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain("Debugger listening"); // the flag did reach this run
      const schedule = readFileSync(join(home, "uwsgi", "maintain.sh"), "utf8");
      expect(schedule).not.toMatch(/--inspect|--cpu-prof|profiles/);
      expect(schedule).toContain("--conditions=@hop3/source"); // what it needs to run this program again stays
    });
  });

  it("prints what stopped each attack, with the neighbour's pids before and after", () => {
    expect(report.length).toBe(16);
    const lines = ["| attack | stopped by | neighbour pids before | after |", "|---|---|---|---|", ...report.map((row) => `| ${row.attack} | ${row.stoppedBy} | ${row.before.join(", ")} | ${row.after.join(", ")} |`)];
    console.log(`\nIsolation suite:\n${lines.join("\n")}\n`);
    if (process.env.HOP3_ISOLATION_REPORT) writeFileSync(process.env.HOP3_ISOLATION_REPORT, `${lines.join("\n")}\n`);
  });
});

function dockerHost(): string {
  if (process.env.DOCKER_HOST) return process.env.DOCKER_HOST;
  const output = execFileSync(START_DOCKERD, { encoding: "utf8", timeout: 120_000 });
  const match = /^export DOCKER_HOST=(\S+)$/m.exec(output);
  if (!match) throw new Error(`scripts/start-dockerd.sh printed no DOCKER_HOST:\n${output}`);
  return match[1]!;
}
