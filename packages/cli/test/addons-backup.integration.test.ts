/**
 * A backup with real addons, through the real `hop3`: an app (test-fixtures/addon-apps/pg-notes,
 * Local builder) with its hop3.toml PostgreSQL database and a Redis instance attached by hand
 * writes a row and a key; `hop3 backup create`, the app destroyed, then `hop3 backup restore --to`
 * a new app, with new instances of its own: the row and the key are there. Debian's PostgreSQL 15
 * and redis-server, started as Hop3 starts them.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesUnder } from "@hop3/test-support";
import { freePort, hop3, httpGet } from "./run-hop3.js";

const fixture = resolve(import.meta.dirname, "../../../test-fixtures/addon-apps/pg-notes");
const home = mkdtempSync(join(tmpdir(), "hop3-addon-backup-"));
let env: Record<string, string> = {};
let port = 0;

const run = async (...args: string[]) => hop3(args, env);
const page = async (app: string, path: string) => (await httpGet(port, `${app}.localhost`, path)).body;
/** The instance's variables, unmasked. */
const variables = async (instance: string) => {
  const info = await run("addons", "info", instance, "--show-url", "--json");
  expect(info.code, info.stderr).toBe(0);
  return info.json<{ env: Record<string, string> }>().env;
};
/** redis-cli as a client of the instance's own ACL user, with its key prefix. */
const redis = (vars: Record<string, string>, ...command: string[]) =>
  execFileSync("redis-cli", ["-u", vars.REDIS_URL!, "--no-auth-warning", command[0]!, `${vars.REDIS_PREFIX}${command[1]}`, ...command.slice(2)], { encoding: "utf8" }).trim();

beforeAll(async () => {
  port = await freePort();
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port), HOP3_POSTGRES_PORT: String(await freePort()), HOP3_REDIS_PORT: String(await freePort()) };
});

afterAll(async () => {
  for (const app of ["notes", "copy"]) await run("destroy", app, "--yes");
  for (const addon of ["cache", "notes-db", "copy-db", "copy-redis"]) await run("addons", "destroy", addon, "--yes");
  await run("server", "stop"); // PostgreSQL and Redis too
  expect(processesUnder(home)).toEqual([]);
  rmSync(home, { recursive: true, force: true });
}, 240_000);

describe.sequential("a backup with PostgreSQL and Redis data", () => {
  it("restores, after the app is destroyed, into a new app with instances of its own: the row and the key are there", async () => {
    const deployed = await run("deploy", fixture, "--app", "notes", "--json");
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(await page("notes", "/write?text=kept%20row")).toBe("written");
    expect((await run("addons", "create", "redis", "cache")).code).toBe(0);
    const attached = await run("addons", "attach", "cache", "notes");
    expect(attached.code, attached.stderr).toBe(0);
    expect(redis(await variables("cache"), "SET", "greeting", "hello")).toBe("OK");

    const backup = await run("backup", "create", "notes", "--json");
    expect(backup.code, backup.stderr).toBe(0);
    const { id } = backup.json<{ id: string }>();
    expect((await run("destroy", "notes", "--yes")).code).toBe(0);

    const restored = await run("backup", "restore", id, "--to", "copy", "--json");
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.json<{ addons: Array<{ instance: string; kind: string }> }>().addons.map((a) => [a.instance, a.kind]).sort()).toEqual([
      ["copy-db", "postgres"],
      ["copy-redis", "redis"],
    ]);
    expect(await page("copy", "/read")).toBe("kept row");
    expect(await page("copy", "/env")).toMatch(/^user=copy-db\.copy database=copy-db /);
    expect(redis(await variables("copy-redis"), "GET", "greeting")).toBe("hello");
    // The original instances are kept, detached: destroying an app never drops an addon's data.
    const kept = (await run("addons", "--json")).json<{ addons: Array<{ name: string; attachedTo: string[] }> }>().addons;
    expect(kept.filter((a) => ["cache", "notes-db"].includes(a.name)).map((a) => [a.name, a.attachedTo])).toEqual([
      ["cache", []],
      ["notes-db", []],
    ]);
  }, 600_000);
});
