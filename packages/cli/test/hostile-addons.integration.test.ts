/**
 * The isolation suite of addons: `alice` tries, from inside its own sandbox (`hop3 run alice --`,
 * as its user, with its env), to reach what is `bob`'s: bob's PostgreSQL database with alice's own
 * credentials or as the superuser, bob's Redis keys and the server's admin commands with alice's
 * ACL user, and the files that hold bob's data and secrets (the servers' data directories, the
 * addons' secrets and records, bob's records and env). Each attempt must fail, for the reason
 * expected, and bob's data must be there after. Real PostgreSQL 15 and redis-server, started as Hop3
 * starts them.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, chmodSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesUnder } from "@hop3/test-support";
import { freePort, hop3 } from "./run-hop3.js";

const fixture = resolve(import.meta.dirname, "../../../test-fixtures/addon-apps/pg-notes");
const root = mkdtempSync(join(tmpdir(), "hop3-hostile-addons-"));
chmodSync(root, 0o711); // app users pass through to HOP3_HOME
const home = join(root, "home");
const source = join(root, "app");
const PSQL = "/usr/lib/postgresql/15/bin/psql";
const SECRET = `bob-secret-${process.pid}-${Date.now()}`;
let env: Record<string, string> = {};

const run = (...args: string[]) => hop3(args, env);
/** A shell command run as the app, in its live release, through `hop3 run`. */
const inside = (app: string, script: string) => run("run", app, "--", "sh", "-c", script);
const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
const redisCli = (command: readonly string[]) => `redis-cli --no-auth-warning -u "$REDIS_URL" ${command.map(quote).join(" ")}`;
/** redis-cli as the app, with its own REDIS_URL. */
const redis = (app: string, ...command: string[]) => inside(app, redisCli(command));

/** Several redis-cli commands in one `hop3 run`: each one's answer, in order. */
async function redisEach(app: string, commands: ReadonlyArray<readonly string[]>): Promise<string[]> {
  const result = await inside(app, commands.map((command) => `${redisCli(command)}; echo '<<end>>'`).join("\n"));
  expect(result.code, result.stderr).toBe(0);
  const answers = result.stdout.split("<<end>>\n").slice(0, -1);
  expect(answers).toHaveLength(commands.length);
  return answers;
}

/** Tries to read each file, then to list each directory, as the app, in one `hop3 run`: one line each, what cat or ls said. */
async function tryRead(app: string, files: readonly string[], dirs: readonly string[]): Promise<string[]> {
  const script = [
    'for f in "$@"; do',
    '  if [ "$f" = -- ]; then mode=ls; continue; fi',
    '  if [ "$mode" = ls ]; then out=$(ls "$f" 2>&1) && echo "$f: LISTED $out" || echo "$f: $out";',
    '  else out=$(cat "$f" 2>&1 >/dev/null) && echo "$f: READ" || echo "$f: $out"; fi',
    "done",
  ].join("\n");
  const result = await run("run", app, "--", "sh", "-c", script, "hop3-attack", ...files, "--", ...dirs);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim().split("\n");
}

beforeAll(async () => {
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(await freePort()), HOP3_POSTGRES_PORT: String(await freePort()), HOP3_REDIS_PORT: String(await freePort()) };
  cpSync(fixture, source, { recursive: true });
  appendFileSync(join(source, "hop3.toml"), '\n[[addons]]\ntype = "redis"\nname = "cache"\n');
  for (const app of ["alice", "bob"]) {
    const deployed = await run("deploy", source, "--app", app, "--json");
    expect(deployed.code, deployed.stderr).toBe(0);
  }
  // bob's data: a row and a key holding the secret.
  const row = await inside("bob", `${PSQL} -X -q -v ON_ERROR_STOP=1 -c "CREATE TABLE secrets (text text); INSERT INTO secrets VALUES ('${SECRET}');"`);
  expect(row.code, row.stderr).toBe(0);
  const key = await redis("bob", "SET", "bob-cache:secret", SECRET);
  expect(key.stdout.trim(), key.stderr).toBe("OK");
}, 300_000);

afterAll(async () => {
  for (const app of ["alice", "bob"]) await run("destroy", app, "--yes");
  await run("server", "stop");
  expect(processesUnder(home)).toEqual([]);
  rmSync(root, { recursive: true, force: true });
}, 240_000);

describe.sequential("an app attacking another app's addons", () => {
  it("runs as its own user with its own credentials (the attacks below start from there)", async () => {
    const who = await inside("alice", 'id -u; echo "$PGUSER $PGDATABASE"; echo "$REDIS_URL" | cut -d: -f2');
    expect(who.code, who.stderr).toBe(0);
    const [uid, pg, redisUser] = who.stdout.trim().split("\n");
    expect(Number(uid)).toBeGreaterThan(0);
    expect(pg).toBe("alice-db.alice alice-db");
    expect(redisUser).toBe("//alice-cache.alice");
    expect((await redis("alice", "SET", "alice-cache:mine", "ok")).stdout.trim()).toBe("OK");
  });

  it("cannot connect to bob's database with its own role and password", async () => {
    const stolen = await inside("alice", `PGDATABASE=bob-db ${PSQL} -X -c 'SELECT text FROM secrets'`);
    expect(stolen.code).not.toBe(0);
    expect(stolen.stderr).toMatch(/pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "alice-db\.alice", database "bob-db"/);
    expect(stolen.stdout).not.toContain(SECRET);
  });

  it("cannot log in as bob's role, nor as the superuser over TCP or on the server's socket", async () => {
    const asBob = await inside("alice", `PGUSER=bob-db.bob PGDATABASE=bob-db ${PSQL} -X -c 'SELECT 1'`);
    expect(asBob.stderr).toMatch(/password authentication failed for user "bob-db\.bob"/);
    const superTcp = await inside("alice", `PGUSER=hop3 PGDATABASE=postgres ${PSQL} -X -c 'SELECT 1'`);
    expect(superTcp.stderr).toMatch(/pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "hop3"/);
    const socketDir = join(home, "addons", "postgres", "run");
    const superSocket = await inside("alice", `${PSQL} -X -h ${socketDir} -U hop3 -d postgres -c 'SELECT 1'`);
    expect(superSocket.code).not.toBe(0);
    expect(superSocket.stderr).toMatch(/Permission denied/);
  });

  it("cannot read or write bob's Redis keys with its ACL user", async () => {
    const commands = [
      ["GET", "bob-cache:secret"],
      ["SET", "bob-cache:secret", "overwritten"],
      ["DEL", "bob-cache:secret"],
      ["DUMP", "bob-cache:secret"],
      ["RENAME", "alice-cache:mine", "bob-cache:mine"],
      // Keys a script names are checked too, declared or not.
      ["EVAL", "return redis.call('GET', 'bob-cache:secret')", "0"],
      ["EVAL", "return redis.call('GET', KEYS[1])", "1", "bob-cache:secret"],
      ["PUBLISH", "bob-cache:events", "forged"],
    ];
    const answers = await redisEach("alice", commands);
    commands.forEach((command, i) => {
      // A key only the script's body names is refused when the script calls it, worded as the script's error.
      expect(answers[i], command.join(" ")).toMatch(command[2] === "0" ? /The user executing the script can't access at least one of the keys/ : /NOPERM/);
      expect(answers[i]).not.toContain(SECRET);
    });
  });

  it("cannot run the server's admin commands, nor list keys across prefixes", async () => {
    const commands = [["CONFIG", "GET", "dir"], ["CONFIG", "SET", "dir", "/tmp"], ["FLUSHALL"], ["FLUSHDB"], ["KEYS", "*"], ["SCAN", "0"], ["RANDOMKEY"], ["ACL", "LIST"], ["ACL", "SETUSER", "alice-cache.alice", "~*"], ["MONITOR"], ["CLIENT", "LIST"], ["SHUTDOWN"], ["SELECT", "1"], ["SAVE"], ["MODULE", "LIST"], ["DEBUG", "SLEEP", "0"]];
    const answers = await redisEach("alice", commands);
    commands.forEach((command, i) => {
      // DEBUG is refused before the ACL is asked: the server has it disabled.
      expect(answers[i], command.join(" ")).toMatch(command[0] === "DEBUG" ? /DEBUG command not allowed/ : /NOPERM/);
    });
    expect((await redis("bob", "GET", "bob-cache:secret")).stdout.trim()).toBe(SECRET);
  });

  it("cannot read the servers' data directories, the addons' secrets and records, nor any file holding bob's password", async () => {
    const bobEnv = (await run("addons", "info", "bob-db", "--show-url", "--json")).json<{ env: Record<string, string> }>().env;
    const password = bobEnv.PGPASSWORD!;
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
    // Every file of the home that holds bob's database password (found as root), and the servers' own files.
    const holders = execFileSync("grep", ["-rlF", "--", password, home], { encoding: "utf8" }).trim().split("\n");
    expect(holders).toEqual(expect.arrayContaining([join(home, "addons", "postgres", "secrets", "bob-db.json"), join(home, "apps", "bob", "app.json")]));
    const files = [
      ...holders,
      join(home, "addons", "postgres", "data", "PG_VERSION"),
      join(home, "addons", "postgres", "data", "pg_hba.conf"),
      join(home, "addons", "redis", "data", "users.acl"),
      join(home, "addons", "redis", "data", "dump.rdb"),
      join(home, "addons", "redis", "secrets", "admin.password"),
      join(home, "addons", "redis", "secrets", "bob-cache.json"),
      join(home, "addons", "bob-db.json"),
      join(home, "addons", "bob-cache.json"),
    ];
    const dirs = [join(home, "addons", "postgres", "data"), join(home, "addons", "postgres", "secrets"), join(home, "addons", "redis", "data"), join(home, "addons", "redis", "secrets"), join(home, "apps", "bob")];
    expect(await tryRead("alice", files, dirs)).toEqual([
      ...files.map((file) => `${file}: cat: ${file}: Permission denied`),
      ...dirs.map((dir) => `${dir}: ls: cannot open directory '${dir}': Permission denied`),
    ]);
    const row = await inside("bob", `${PSQL} -X -A -t -c 'SELECT text FROM secrets'`);
    expect(row.stdout.trim()).toBe(SECRET);
  });
});
