import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, hop3, httpGet, spawnHop3 } from "./run-hop3.js";

// The real `hop3` process against the real nix-build, uWSGI emperor and nginx, in a private
// HOP3_HOME on a free port. The tests run in order: later ones use the apps earlier ones deployed.
const fixtures = resolve(import.meta.dirname, "../../../test-fixtures/apps");
const home = mkdtempSync(join(tmpdir(), "hop3-e2e-"));
let port = 0;
let env: Record<string, string> = {};
const run = (...args: string[]) => hop3(args, env);
const get = (app: string, path = "/") => httpGet(port, `${app}.localhost`, path);

function processesOfHome(): string[] {
  try {
    return execFileSync("pgrep", ["-af", home], { encoding: "utf8" }).split("\n").filter((line) => line.trim() !== "");
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** A builtins-only Nix app (no <nixpkgs>) whose runtime.json has the given workers. */
function nixApp(name: string, workers: Record<string, string>, toml = ""): string {
  const dir = join(mkdtempSync(join(tmpdir(), "hop3-e2e-app-")), name);
  mkdirSync(dir);
  writeFileSync(join(dir, "runtime.json"), JSON.stringify({ workers }));
  writeFileSync(
    join(dir, "hop3.nix"),
    `{ package = builtins.derivation { name = "${name}"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin";\n` +
      `  args = [ "-c" "mkdir -p $out/hop3 && cp \${./runtime.json} $out/hop3/runtime.json" ]; }; }\n`,
  );
  if (toml) writeFileSync(join(dir, "hop3.toml"), toml);
  return dir;
}

beforeAll(async () => {
  port = await freePort();
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port), NIX_CONFIG: "substituters =\n" };
});

afterAll(async () => {
  await run("server", "stop");
  expect(processesOfHome()).toEqual([]);
});

describe.sequential("hop3, end to end", () => {
  it("deploys a Nix web app, prints its URL, and serves it through nginx", async () => {
    const result = await run("deploy", join(fixtures, "nix-web"), "--json");
    expect(result.code, result.stderr).toBe(0);
    const data = result.json<{ app: string; release: string; builder: string; artifact: { kind: string; location: string }; url: string; status: string }>();
    expect(data).toMatchObject({ app: "nix-web", builder: "nix", artifact: { kind: "nix" }, url: `http://nix-web.localhost:${port}/`, status: "running" });
    expect(data.artifact.location).toMatch(/^\/nix\/store\/[a-z0-9]{32}-nix-web$/);
    expect(data.release).toMatch(/^\d{8}T\d{6}Z-/);
    const page = await get("nix-web");
    expect(page.status).toBe(200);
    expect(page.body).toContain("hello from nix-web");
    expect(page.body).toContain('{"name": "X-Forwarded-Proto", "value": "http"}');
  });

  it("prints the URL as its last line without --json", async () => {
    const result = await run("deploy", join(fixtures, "nix-static"));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split("\n").at(-1)).toBe(`nix-static is live: http://nix-static.localhost:${port}/`);
    expect(result.stderr).toContain("build with nix: done");
    expect((await get("nix-static")).body).toContain("hello from nix-static");
  });

  it.each([
    ["spec-flask", "hello from spec-flask"],
    ["spec-go", "hello from spec-go"],
    ["spec-static", "hello from spec-static"],
  ])("deploys the specification's example %s unchanged", async (name, text) => {
    const result = await run("deploy", join(fixtures, name), "--json");
    expect(result.code, result.stderr).toBe(0);
    expect((await get(name)).body).toContain(text);
  });

  it("plans without side effects, saying which builder and why", async () => {
    const result = await run("plan", join(fixtures, "nix-polyglot"), "--json");
    expect(result.code, result.stderr).toBe(0);
    const plan = result.json<{ builder: { name: string; reason: string }; candidates: Array<{ name: string; accepted: boolean; reason: string }> }>();
    expect(plan.builder).toMatchObject({ name: "nix", reason: "hop3.nix found" });
    expect(plan.candidates[0]).toEqual({ name: "nix", accepted: true, reason: "hop3.nix found" });
    expect(existsSync(join(home, "apps", "nix-polyglot"))).toBe(false);
  });

  it("redeploys: a new release serves, and the list of apps shows them all", async () => {
    const first = (await run("status", "nix-web", "--json")).json<{ release: string }>().release;
    const result = await run("deploy", join(fixtures, "nix-web"), "--json");
    expect(result.code, result.stderr).toBe(0);
    expect(result.json<{ release: string }>().release).not.toBe(first);
    expect((await get("nix-web")).status).toBe(200);
    const apps = (await run("apps", "--json")).json<{ apps: Array<{ name: string }> }>().apps.map((a) => a.name);
    expect(apps).toEqual(["nix-static", "nix-web", "spec-flask", "spec-go", "spec-static"]);
  });

  it("applies config values on restart, masking secrets when shown, and the user's value wins", async () => {
    expect((await run("deploy", join(fixtures, "nix-env"))).code).toBe(0);
    expect((await get("nix-env")).body).toContain("GREETING=from-hop3-nix");
    expect((await run("config", "set", "nix-env", "GREETING=from-the-user", "DB_PASSWORD=hunter22")).code).toBe(0);
    expect((await get("nix-env")).body).toContain("GREETING=from-hop3-nix"); // not before a restart
    const shown = (await run("config", "show", "nix-env", "--json")).json<{ env: Record<string, string> }>().env;
    expect(shown).toEqual({ GREETING: "from-the-user", DB_PASSWORD: "hu******" });
    expect((await run("config", "get", "nix-env", "DB_PASSWORD")).stdout.trim()).toBe("hunter22");
    expect((await run("restart", "nix-env")).code).toBe(0);
    expect((await get("nix-env")).body).toContain("GREETING=from-the-user");
    expect((await run("config", "unset", "nix-env", "GREETING")).code).toBe(0);
    expect((await run("config", "get", "nix-env", "GREETING")).code).toBe(1);
  });

  it("prints a worker's logs", async () => {
    await get("nix-web", "/logged-path");
    const result = await run("logs", "nix-web", "--worker", "web", "--json");
    expect(result.code, result.stderr).toBe(0);
    const lines = result.json<{ lines: Array<{ worker: string; text: string }> }>().lines;
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((line) => line.worker.startsWith("web."))).toBe(true);
  });

  it("stops and starts an app", async () => {
    expect((await run("stop", "nix-web")).code).toBe(0);
    expect((await get("nix-web")).status).toBe(404);
    expect((await run("status", "nix-web", "--json")).json<{ state: string }>().state).toBe("stopped");
    expect((await run("start", "nix-web")).code).toBe(0);
    expect((await get("nix-web")).body).toContain("hello from nix-web");
  });

  it("keeps the running release when a new build fails, and says why", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "hop3-e2e-app-")), "keeper");
    cpSync(join(fixtures, "nix-web"), dir, { recursive: true });
    expect((await run("deploy", dir)).code).toBe(0);
    writeFileSync(join(dir, "hop3.nix"), "{ package = ; }\n");
    const result = await run("deploy", dir, "--json");
    expect(result.code).toBe(1);
    const { error } = result.json<{ error: { code: string; message: string; hint: string } }>();
    expect(error.code).toBe("NIX_SYNTAX_ERROR");
    expect(error.message).toContain("syntax error");
    expect(error.hint).not.toBe("");
    const human = await run("deploy", dir);
    expect(human.stderr).toMatch(/error\[NIX_SYNTAX_ERROR\]: /);
    expect(human.stderr).not.toMatch(/\n\s+at .*\.(ts|js|mjs):\d+:\d+/); // no stack trace (nix's own "at hop3.nix:1:13" is fine)
    expect((await get("keeper")).body).toContain("hello from nix-web");
  });

  it("stops a first release whose web worker never listens, keeping its logs, and says why", async () => {
    const dir = nixApp("never-listens", { web: "echo starting; exec sleep 1000" }, "[run]\nstart-timeout = 3\n");
    const result = await run("deploy", dir, "--json");
    expect(result.code).toBe(1);
    expect(result.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: "UWSGI_WORKER_START_TIMEOUT" });
    expect(processesOfHome().filter((line) => line.includes("never-listens"))).toEqual([]);
    const status = await run("status", "never-listens", "--json");
    expect(status.json<{ state: string; release: string | null }>()).toMatchObject({ state: "stopped", release: null });
    expect((await run("logs", "never-listens")).stdout).toContain("web.1 | starting");
    expect((await run("restart", "never-listens", "--json")).json<{ error: { code: string } }>().error.code).toBe("APP_NOT_LIVE");
    expect((await run("destroy", "never-listens", "--yes")).code).toBe(0);
  });

  it("fails the health check of a release that answers wrongly, showing its last log lines", async () => {
    const dir = nixApp("wrong-answer", { web: "exec /usr/bin/python3 -m http.server $PORT --bind $BIND_ADDRESS" }, '[run]\nstart-timeout = 2\n\n[healthcheck]\npath = "/ready"\n');
    const result = await run("deploy", dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error\[HEALTH_CHECK_FAILED\]: http:\/\/wrong-answer\.localhost:\d+\/ready did not answer as expected .*\(last: HTTP 404\)/);
    expect(result.stderr).toContain("Last log lines:");
    expect(result.stderr).toMatch(/web\.1 \| .*"GET \/ready HTTP\/1\.[01]" 404/);
    expect((await get("wrong-answer", "/ready")).status).toBe(404); // not routed any more: nginx's unknown-host answer
    expect((await run("destroy", "wrong-answer", "--yes")).code).toBe(0);
  });

  it("leaves nothing behind when a first deploy fails before anything runs", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "hop3-e2e-app-")), "broken-first");
    cpSync(join(fixtures, "nix-web"), dir, { recursive: true });
    writeFileSync(join(dir, "hop3.nix"), "{ package = builtins.derivation { name = \"x\"; system = builtins.currentSystem; builder = \"/bin/sh\"; args = [ \"-c\" \"exit 1\" ]; }; }\n");
    expect((await run("deploy", dir, "--json")).json<{ error: { code: string } }>().error.code).toBe("NIX_BUILD_FAILED");
    expect(existsSync(join(home, "apps", "broken-first"))).toBe(false);
  });

  it("follows a worker's log until interrupted", async () => {
    expect((await run("deploy", join(fixtures, "nix-web"), "--app", "followed")).code).toBe(0);
    const follower = spawnHop3(["logs", "followed", "--follow", "--lines", "0"], env);
    // The follower may take seconds to start on a busy machine: ask again until it has seen a request.
    let output = "";
    for (let i = 0; i < 20 && !output.includes("/followed-path"); i++) {
      await get("followed", "/followed-path");
      output = await follower.until((text) => text.includes("/followed-path"), 1_500);
    }
    expect(output).toMatch(/web\.1 \| .*GET \/followed-path/);
    expect(await follower.interrupt()).toBe(0);
    expect((await run("destroy", "followed", "--yes")).code).toBe(0);
  });

  it("refuses a deploy while another command holds the app", async () => {
    writeFileSync(join(home, "apps", "nix-static", "lock"), JSON.stringify({ pid: process.pid, command: "deploy", since: "now" }));
    const result = await run("deploy", join(fixtures, "nix-static"), "--json");
    expect(result.code).toBe(1);
    expect(result.json<{ error: { code: string } }>().error.code).toBe("APP_BUSY");
    const other = await run("deploy", join(fixtures, "spec-static"), "--json");
    expect(other.code, other.stderr).toBe(0);
  });

  it("answers bad usage with exit 2 and bad input with exit 1", async () => {
    expect((await run("deploy", "--frobnicate")).code).toBe(2);
    expect((await run("scale", "nix-web", "web")).code).toBe(2);
    const invalid = await run("deploy", join(fixtures, "nix-web"), "--app", "Bad_Name", "--json");
    expect(invalid.code).toBe(1);
    expect(invalid.json<{ error: { code: string } }>().error.code).toBe("APP_NAME_INVALID");
    expect((await run("status", "nope", "--json")).json<{ error: { code: string } }>().error.code).toBe("APP_NOT_FOUND");
  });

  it("destroys an app, leaving nothing of it", async () => {
    expect((await run("destroy", "nix-web")).code).toBe(1); // --yes is required
    expect((await run("destroy", "nix-web", "--yes")).code).toBe(0);
    expect(existsSync(join(home, "apps", "nix-web"))).toBe(false);
    expect(readdirSync(join(home, "uwsgi", "vassals")).filter((f) => f.startsWith("nix-web_"))).toEqual([]);
    expect(existsSync(join(home, "nginx", "sites", "nix-web.conf"))).toBe(false);
    expect((await get("nix-web")).status).toBe(404);
    expect(processesOfHome().filter((line) => line.includes("/apps/nix-web/"))).toEqual([]);
  });

  it("reports the server, then stops it with every process", async () => {
    const status = (await run("server", "status", "--json")).json<{ router: { running: boolean } }>();
    expect(status.router.running).toBe(true);
    expect((await run("server", "stop")).code).toBe(0);
    expect(processesOfHome()).toEqual([]);
  });
});
