/**
 * PostgreSQL addons through the real `hop3`: hop3.toml [[addons]] made and attached on deploy, an
 * app (test-fixtures/addon-apps/pg-notes, Local builder) writing and reading rows through
 * DATABASE_URL as its own user, `hop3 addons` create/attach/detach/destroy/info, isolation between
 * two apps' databases, names that try injection, and the data kept when an app is destroyed and
 * across a server stop. The server is Debian's PostgreSQL 15, started as Hop3 starts it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import autocannon from "autocannon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesUnder } from "@hop3/test-support";
import { freePort, hop3, httpGet } from "./run-hop3.js";

const fixture = resolve(import.meta.dirname, "../../../test-fixtures/addon-apps/pg-notes");
const home = mkdtempSync(join(tmpdir(), "hop3-addons-"));
let env: Record<string, string> = {};
let port = 0;
let pgPort = 0;

const get = async (app: string, path: string) => {
  const answer = await httpGet(port, `${app}.localhost`, path);
  return { status: answer.status, body: answer.body };
};
const run = async (...args: string[]) => hop3(args, env);
const errorOf = (result: { stdout: string }) => (JSON.parse(result.stdout) as { error: { code: string; hint: string; message: string } }).error;

beforeAll(async () => {
  port = await freePort();
  pgPort = await freePort();
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port), HOP3_POSTGRES_PORT: String(pgPort) };
});

afterAll(async () => {
  for (const app of ["notes", "other"]) await run("destroy", app, "--yes");
  // Stops PostgreSQL too; its data goes with the home.
  await run("server", "stop");
  expect(processesUnder(home)).toEqual([]);
  rmSync(home, { recursive: true, force: true });
}, 240_000);

describe.sequential("PostgreSQL addons", () => {
  it("makes and attaches hop3.toml's [[addons]] on deploy: the app writes and reads rows through DATABASE_URL, as its own user", async () => {
    const deployed = await run("deploy", fixture, "--app", "notes", "--json");
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stderr).not.toContain("recognized but not acted on");
    const seen = await get("notes", "/env");
    expect(seen.body).toMatch(/^user=notes-db\.notes database=notes-db host=127\.0\.0\.1 uid=(\d+)$/);
    expect(seen.body).not.toMatch(/uid=0$/);
    expect((await get("notes", "/write?text=first%20note")).body).toBe("written");
    expect((await get("notes", "/write?text=it's%20%22quoted%22;%20DROP%20TABLE%20notes")).body).toBe("written");
    expect((await get("notes", "/read")).body).toBe(`first note\nit's "quoted"; DROP TABLE notes`);
  });

  it("lists the instance, and masks its password unless asked", async () => {
    const list = await run("addons", "--json");
    expect(list.code, list.stderr).toBe(0);
    expect(list.json()).toMatchObject({ addons: [{ name: "notes-db", kind: "postgres", attachedTo: ["notes"] }] });
    const masked = await run("addons", "info", "notes-db");
    expect(masked.code, masked.stderr).toBe(0);
    expect(masked.stdout).toContain("PGPASSWORD=****");
    expect(masked.stdout).toMatch(/DATABASE_URL=postgres:\/\/notes-db\.notes:\*\*\*\*@127\.0\.0\.1:\d+\/notes-db/);
    expect(masked.stdout).toMatch(/status: running, /);
    const shown = (await run("addons", "info", "notes-db", "--show-url", "--json")).json<{ env: Record<string, string> }>();
    expect(shown.env.PGPASSWORD).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(shown.env.DATABASE_URL).toContain(`:${shown.env.PGPASSWORD}@127.0.0.1:${pgPort}/notes-db`);
    expect(masked.stdout).not.toContain(shown.env.PGPASSWORD);
  });

  it("keeps two apps' databases apart: one app's role is refused on the other's database", async () => {
    const deployed = await run("deploy", fixture, "--app", "other", "--json");
    expect(deployed.code, deployed.stderr).toBe(0);
    expect((await get("other", "/env")).body).toMatch(/^user=other-db\.other database=other-db /);
    const stolen = await get("other", "/steal?db=notes-db");
    expect(stolen.body).toMatch(/^refused: .*(pg_hba\.conf rejects|no pg_hba\.conf entry|permission denied)/);
    expect((await get("notes", "/steal?db=other-db")).body).toMatch(/^refused: /);
    expect((await get("other", "/read")).body).not.toContain("first note");
  });

  it("attaches an instance made by hand to a running app (restarted), detaches it (restarted without it)", async () => {
    const created = await run("addons", "create", "postgres", "shared-db", "--json");
    expect(created.code, created.stderr).toBe(0);
    const attached = await run("addons", "attach", "shared-db", "other", "--json");
    expect(attached.code, attached.stderr).toBe(0);
    expect(attached.json()).toMatchObject({ addon: "shared-db", app: "other", restarted: true, variables: ["DATABASE_URL", "PGDATABASE", "PGHOST", "PGPASSWORD", "PGPORT", "PGUSER"] });
    // Two postgres instances: the later name's variables win (other-db < shared-db).
    expect((await get("other", "/env")).body).toMatch(/^user=shared-db\.other database=shared-db /);
    expect((await get("other", "/write?text=shared")).body).toBe("written");

    const detached = await run("addons", "detach", "shared-db", "other", "--json");
    expect(detached.code, detached.stderr).toBe(0);
    expect(detached.json()).toMatchObject({ restarted: true });
    expect((await get("other", "/env")).body).toMatch(/^user=other-db\.other database=other-db /);
    expect((await get("other", "/steal?db=shared-db")).body).toMatch(/^refused: /);
  });

  it("attaches to a running app under load without losing a request", async () => {
    expect((await run("addons", "create", "postgres", "load-db")).code).toBe(0);
    const connectionErrors: string[] = [];
    let bad = 0;
    // Bounded: at most 100 GETs a second on 8 loopback connections, for at most 2 minutes; autocannon never retries.
    let load!: autocannon.Instance;
    const finished = new Promise<autocannon.Result>((resolve, reject) => {
      load = autocannon(
        {
          url: `http://127.0.0.1:${port}/env`,
          headers: { Host: "other.localhost" },
          connections: 8,
          overallRate: 100,
          duration: 120,
          verifyBody: (raw) => {
            const ok = String(raw ?? "").startsWith("user=other-db.other ");
            if (!ok) bad++;
            return ok;
          },
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
      load.on("reqError", (error: NodeJS.ErrnoException) => connectionErrors.push(error.code ?? error.message));
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const attached = await run("addons", "attach", "load-db", "other", "--json");
    expect(attached.code, attached.stderr).toBe(0);
    expect(attached.json()).toMatchObject({ restarted: true });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    load.stop();
    const result = await finished;
    expect({ non2xx: result.non2xx, bad, errors: result.errors, timeouts: result.timeouts, connectionErrors }).toEqual({ non2xx: 0, bad: 0, errors: 0, timeouts: 0, connectionErrors: [] });
    expect(result.requests.total).toBeGreaterThan(100);
    expect((await run("addons", "detach", "load-db", "other")).code).toBe(0);
    expect((await run("addons", "destroy", "load-db", "--yes")).code).toBe(0);
  });

  it("refuses to destroy an instance attached to a running app unless its name is typed again", async () => {
    expect((await run("addons", "attach", "shared-db", "other")).code).toBe(0);
    const refused = await run("addons", "destroy", "shared-db", "--yes", "--json");
    expect(refused.code).toBe(1);
    expect(errorOf(refused)).toMatchObject({ code: "ADDON_IN_USE" });
    const wrong = await run("addons", "destroy", "shared-db", "--yes", "--confirm", "notes-db", "--json");
    expect(errorOf(wrong)).toMatchObject({ code: "ADDON_IN_USE" });
    const destroyed = await run("addons", "destroy", "shared-db", "--yes", "--confirm", "shared-db");
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect((await run("addons", "--json")).json<{ addons: Array<{ name: string }> }>().addons.map((a) => a.name)).toEqual(["notes-db", "other-db"]);
    expect((await get("other", "/env")).body).toMatch(/database=other-db /);
  });

  it("refuses instance names that try SQL or a path, and the server's own names, changing nothing", async () => {
    for (const [name, code] of [
      ['x"; DROP DATABASE "notes-db"; --', "ADDON_NAME_INVALID"],
      ["notes-db'; DROP ROLE x; --", "ADDON_NAME_INVALID"],
      ["../notes", "ADDON_NAME_INVALID"],
      ["template1", "POSTGRES_NAME_RESERVED"],
    ]) {
      const refused = await run("addons", "create", "postgres", name!, "--json");
      expect(refused.code, name).toBe(1);
      expect(errorOf(refused).code, name).toBe(code);
    }
    expect((await get("notes", "/read")).body).toContain("first note");
    expect((await run("addons", "--json")).json<{ addons: Array<{ name: string }> }>().addons.map((a) => a.name)).toEqual(["notes-db", "other-db"]);
  });

  it("refuses a kind no plugin provides, in hop3.toml before anything is built, naming the kinds it has", async () => {
    const dir = join(home, "shop");
    mkdirSync(dir);
    writeFileSync(join(dir, "hop3.toml"), '[build]\ntoolchain = "generic"\n\n[[addons]]\ntype = "mysql"\n');
    writeFileSync(join(dir, "Procfile"), "web: python3 -m http.server $PORT\n");
    const refused = await run("deploy", dir, "--json");
    expect(refused.code).toBe(1);
    expect(errorOf(refused)).toMatchObject({ code: "ADDON_KIND_UNKNOWN", hint: expect.stringContaining("postgres") });
    expect(existsSync(join(home, "apps", "shop"))).toBe(false);
    expect(existsSync(join(home, "addons", "shop-mysql.json"))).toBe(false);
  });

  it("keeps the data when the app is destroyed, and gives it back to the app deployed again", async () => {
    expect((await run("destroy", "notes", "--yes")).code).toBe(0);
    const info = (await run("addons", "info", "notes-db", "--json")).json<{ attachedTo: string[]; status: { running: boolean; bytes: number } }>();
    expect(info).toMatchObject({ attachedTo: [], status: { running: true } });
    expect(info.status.bytes).toBeGreaterThan(0);
    expect((await run("deploy", fixture, "--app", "notes")).code).toBe(0);
    expect((await get("notes", "/read")).body).toContain("first note");
  });

  it("stops and starts the server with `hop3 server`, the data kept", async () => {
    const stopped = await run("server", "stop", "--json");
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.json()).toMatchObject({ addons: [{ name: "postgres", running: false, instances: 2 }] });
    const started = await run("server", "start", "--json");
    expect(started.code, started.stderr).toBe(0);
    expect(started.json()).toMatchObject({ addons: [{ name: "postgres", running: true, instances: 2 }] });
    expect((await get("notes", "/read")).body).toContain("first note");
    expect(existsSync(join(home, "addons", "notes-db.json"))).toBe(true);
  });

  it("undoes a failed first deploy's addons: the instance it made is dropped, the one that existed is detached and keeps its data", async () => {
    const superuser = (database: string, sql: string) =>
      execFileSync("/usr/lib/postgresql/15/bin/psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", join(home, "addons", "postgres", "run"), "-p", String(pgPort), "-U", "hop3", "-d", database, "-c", sql], { encoding: "utf8" }).trim();
    expect((await run("addons", "create", "postgres", "broken-old")).code).toBe(0);
    superuser("broken-old", "CREATE TABLE kept (text text); INSERT INTO kept VALUES ('from before');");
    const dir = join(home, "broken");
    mkdirSync(dir);
    writeFileSync(join(dir, "hop3.toml"), '[build]\ntoolchain = "generic"\n\n[[addons]]\ntype = "postgres"\nname = "db"\n\n[[addons]]\ntype = "postgres"\nname = "old"\n');
    writeFileSync(join(dir, "Procfile"), "prebuild: exit 3\nweb: python3 -m http.server $PORT\n");
    const failed = await run("deploy", dir, "--app", "broken", "--json");
    expect(failed.code, failed.stdout).toBe(1);
    // It got as far as making and attaching both: the build failed after.
    expect(`${failed.stdout}${failed.stderr}`).toMatch(/prebuild/);
    expect((await run("addons", "--json")).json<{ addons: Array<{ name: string; attachedTo: string[] }> }>().addons).toEqual([
      expect.objectContaining({ name: "broken-old", attachedTo: [] }),
      expect.objectContaining({ name: "notes-db" }),
      expect.objectContaining({ name: "other-db" }),
    ]);
    expect(superuser("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'broken-%' ORDER BY 1;")).toBe("broken-old");
    expect(superuser("postgres", "SELECT rolname FROM pg_roles WHERE rolname LIKE 'broken-%' ORDER BY 1;")).toBe("broken-old");
    expect(superuser("broken-old", "SELECT text FROM kept;")).toBe("from before");
    expect(existsSync(join(home, "addons", "postgres", "secrets", "broken-db.json"))).toBe(false);
    expect(JSON.parse(readFileSync(join(home, "addons", "postgres", "secrets", "broken-old.json"), "utf8"))).toEqual({ passwords: {} });
    expect(existsSync(join(home, "apps", "broken"))).toBe(false);
  });
});
