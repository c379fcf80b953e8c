/**
 * Core's side of addons, with an in-memory addon (the real servers are the plugins' integration
 * tests): the records, the checks before anything is made, attach and detach keeping the app's
 * variables, hop3.toml's two dialects, destroy's confirmation, and the variables given under [env].
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDistribution, definePlugin, maskSecrets, readAddonRecord, readAddonRecords, readAppRecord, writeAppRecord, type Addon, type Distribution } from "../../src/index.js";
import { declaredInstances } from "../../src/pipeline/addons.js";
import { deployContext } from "../../src/pipeline/context.js";
import { caught, makeApp } from "../helpers.js";

/** An addon whose "server" is a map: enough to check what core asks of it and keeps. */
function memoryAddon(calls: string[]): Addon {
  const instances = new Set<string>();
  return {
    apiVersion: 1,
    name: "memdb",
    aliases: ["memorydb"],
    ensureRunning: async () => void calls.push("ensureRunning"),
    stop: async () => void calls.push("stop"),
    async create(instance) {
      calls.push(`create ${instance}`);
      instances.add(instance);
    },
    async attach(instance, app) {
      calls.push(`attach ${instance} ${app}`);
      return { MEMDB_URL: `memdb://${app}:pw-${instance}@127.0.0.1/${instance}`, MEMDB_PASSWORD: `pw-${instance}` };
    },
    detach: async (instance, app) => void calls.push(`detach ${instance} ${app}`),
    async destroy(instance) {
      calls.push(`destroy ${instance}`);
      instances.delete(instance);
    },
    backup: async () => ({ format: "memdb", bytes: 0 }),
    restore: async () => {},
    status: async (instance) => ({ running: instances.has(instance), details: [] }),
  };
}

let home: string;
let calls: string[];
let hop3: Distribution;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "hop3-addons-unit-"));
  calls = [];
  const addon = memoryAddon(calls);
  hop3 = createDistribution({ plugins: [definePlugin({ name: "memdb-plugin", apiVersion: 1, register: (registry) => registry.addAddon(addon) })], env: { ...process.env, HOP3_HOME: home } });
  writeAppRecord(home, { name: "blog", source: home, appEnv: { A: "from-toml", MEMDB_URL: "set-in-toml" }, userEnv: {}, scale: {}, domains: [] });
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe("addon records", () => {
  it("are made by create, root's alone, and listed by name", async () => {
    await hop3.createAddon("memdb", "zeta");
    await hop3.createAddon("memorydb", "alpha"); // an alias names the kind
    expect(readAddonRecords(home).map((r) => [r.name, r.kind, r.attachedTo])).toEqual([
      ["alpha", "memdb", []],
      ["zeta", "memdb", []],
    ]);
    expect(statSync(join(home, "addons", "alpha.json")).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, "addons")).mode & 0o777).toBe(0o711);
    expect(calls).toEqual(["ensureRunning", "create zeta", "ensureRunning", "create alpha"]);
  });

  it("refuses a damaged record with APP_STATE_CORRUPT", async () => {
    await hop3.createAddon("memdb", "db");
    writeFileSync(join(home, "addons", "db.json"), "{ not json");
    expect((await caught(() => readAddonRecord(home, "db"))).code).toBe("APP_STATE_CORRUPT");
  });

  it.each([
    ["an unknown kind, listing the kinds", () => hop3.createAddon("mysql", "db"), "ADDON_KIND_UNKNOWN"],
    ["a name with SQL in it", () => hop3.createAddon("memdb", 'db"; DROP DATABASE x; --'), "ADDON_NAME_INVALID"],
    ["a path", () => hop3.createAddon("memdb", "../db"), "ADDON_NAME_INVALID"],
    ["attach of an unknown addon", () => hop3.attachAddon("nope", "blog"), "ADDON_NOT_FOUND"],
  ])("refuses %s before asking the addon", async (_what, action, code) => {
    const error = await caught(action);
    expect(error.code).toBe(code);
    if (code === "ADDON_KIND_UNKNOWN") expect(error.hint).toContain("memdb");
    expect(calls).toEqual([]);
  });

  it("refuses to create an instance twice", async () => {
    await hop3.createAddon("memdb", "db");
    expect((await caught(() => hop3.createAddon("memdb", "db"))).code).toBe("ADDON_EXISTS");
  });
});

describe("attach and detach", () => {
  it("keep the app's variables in its record, under hop3.toml's [env], and apply at its next start", async () => {
    await hop3.createAddon("memdb", "blog-db");
    const outcome = await hop3.attachAddon("blog-db", "blog");
    expect(outcome).toEqual({ addon: "blog-db", app: "blog", variables: ["MEMDB_PASSWORD", "MEMDB_URL"], restarted: false });
    expect(readAddonRecord(home, "blog-db")?.attachedTo).toEqual(["blog"]);
    const record = readAppRecord(home, "blog")!;
    expect(record.addonEnv).toEqual({ "blog-db": { MEMDB_URL: "memdb://blog:pw-blog-db@127.0.0.1/blog-db", MEMDB_PASSWORD: "pw-blog-db" } });
    // hop3.toml's [env] wins over an addon's variable of the same name.
    expect(deployContext({ ...hop3, router: () => ({}) as never }, record).appEnv).toEqual({ A: "from-toml", MEMDB_URL: "set-in-toml", MEMDB_PASSWORD: "pw-blog-db" });

    const detached = await hop3.detachAddon("blog-db", "blog");
    expect(detached.variables).toEqual(["MEMDB_PASSWORD", "MEMDB_URL"]);
    expect(readAddonRecord(home, "blog-db")?.attachedTo).toEqual([]);
    expect(readAppRecord(home, "blog")!.addonEnv).toEqual({});
    expect((await caught(() => hop3.detachAddon("blog-db", "blog"))).code).toBe("ADDON_NOT_ATTACHED");
  });

  it("needs the app to exist", async () => {
    await hop3.createAddon("memdb", "db");
    expect((await caught(() => hop3.attachAddon("db", "ghost"))).code).toBe("APP_NOT_FOUND");
    expect(readAddonRecord(home, "db")?.attachedTo).toEqual([]);
  });

  it("masks passwords and the password of URLs in info unless asked", async () => {
    await hop3.createAddon("memdb", "db");
    await hop3.attachAddon("db", "blog");
    expect((await hop3.addonInfo("db")).env).toEqual({ MEMDB_URL: "memdb://blog:****@127.0.0.1/db", MEMDB_PASSWORD: "****" });
    expect((await hop3.addonInfo("db", { showSecrets: true })).env.MEMDB_PASSWORD).toBe("pw-db");
    expect(maskSecrets({ DATABASE_URL: "postgres://u:p%40ss@h:5432/d", PGHOST: "127.0.0.1" })).toEqual({ DATABASE_URL: "postgres://u:****@h:5432/d", PGHOST: "127.0.0.1" });
  });

  it("destroys an instance not attached to a running app without --confirm, detaching it first", async () => {
    await hop3.createAddon("memdb", "db");
    await hop3.attachAddon("db", "blog"); // blog has no live release: it does not run
    await hop3.destroyAddon("db");
    expect(readAddonRecords(home)).toEqual([]);
    expect(readAppRecord(home, "blog")!.addonEnv).toEqual({});
    expect(calls).toContain("detach db blog");
    expect(calls.at(-1)).toBe("destroy db");
  });
});

describe("hop3.toml [[addons]] and [[provider]]", () => {
  const toml = (text: string) => hop3.loadApp(makeApp({ "hop3.toml": text, Procfile: "web: true\n" })).config.toml;

  it("name each instance <app>-<name>, in both dialects, by the kind or an alias", () => {
    expect(declaredInstances(hop3, "shop", toml('[[addons]]\ntype = "memdb"\nname = "db"\n[[addons]]\ntype = "memorydb"\n'))).toEqual([
      { declared: "db", kind: "memdb", instance: "shop-db" },
      { declared: "memorydb", kind: "memdb", instance: "shop-memorydb" },
    ]);
    expect(declaredInstances(hop3, "shop", toml('[[provider]]\nname = "memdb"\noptions = { x = true }\n'))).toEqual([{ declared: "memdb", kind: "memdb", instance: "shop-memdb" }]);
  });

  it("refuse a kind no plugin provides, and a name too long to be an instance", async () => {
    expect((await caught(() => declaredInstances(hop3, "shop", toml('[[addons]]\ntype = "mysql"\n')))).code).toBe("ADDON_KIND_UNKNOWN");
    expect((await caught(() => declaredInstances(hop3, "a".repeat(60), toml('[[addons]]\ntype = "memdb"\nname = "database"\n')))).code).toBe("ADDON_NAME_INVALID");
  });

  it("is refused by plan before anything is built", async () => {
    const dir = makeApp({ "hop3.toml": '[[addons]]\ntype = "mysql"\n', Procfile: "web: true\n" });
    expect((await caught(() => hop3.plan(dir))).code).toBe("ADDON_KIND_UNKNOWN");
  });
});
