import { copyFileSync, existsSync, rmSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCli } from "@hop3/cli";
import { localBuilderPlugin } from "@hop3/builder-local";
import { createDistribution, definePlugin, type Addon } from "@hop3/core";
import { staticDeployerPlugin } from "@hop3/deployer-static";
import { uwsgiDeployerPlugin } from "@hop3/deployer-uwsgi";
import { nginxRouterPlugin } from "@hop3/router-nginx";
import { processesUnder, waitFor } from "@hop3/test-support";
import { memoryIO } from "./memory-io.js";
import { freePort, httpGet } from "./run-hop3.js";

// Backups against the real Local builder, uWSGI emperor and nginx: an app with a value set and an
// attached addon is backed up, destroyed, and restored as a new app that answers the same. The
// addon is a fake of the Addon contract keeping one file per instance (the real PostgreSQL and
// Redis round trips live with their plugins).
const fixture = resolve(import.meta.dirname, "../../../test-fixtures/local-apps/node-no-deps");
const home = mkdtempSync(join(tmpdir(), "hop3-backups-"));
const env = { HOP3_HOME: home, HOP3_PLUGINS: "", HOP3_CONFIG: join(home, "none.json") };
const dataOf = (instance: string) => join(home, "fake-addon", instance);
/** Set to make the fake addon's restore fail, as a dump its server refuses would. */
let failRestore = false;

const fakeAddon: Addon = {
  apiVersion: 1,
  name: "fake",
  async ensureRunning() {},
  async stop() {},
  async create(instance) {
    if (existsSync(dataOf(instance))) throw new Error(`${instance} exists`);
    mkdirSync(join(home, "fake-addon"), { recursive: true });
    writeFileSync(dataOf(instance), "");
  },
  async attach(instance) {
    return { FAKE_URL: `fake://${instance}` };
  },
  async detach() {},
  async destroy(instance) {
    rmSync(dataOf(instance), { force: true });
  },
  async backup(instance, file) {
    copyFileSync(dataOf(instance), file);
    return { format: "fake-copy", bytes: statSync(file).size };
  },
  async restore(instance, file) {
    if (failRestore) throw new Error("the fake server refuses this dump");
    copyFileSync(file, dataOf(instance));
  },
  async status() {
    return { running: true, details: [] };
  },
};

let port = 0;
let cli: ReturnType<typeof createCli>;

async function run(...argv: string[]) {
  const io = memoryIO(home, env);
  const code = await cli.run(argv, io);
  return { code, out: io.out(), err: io.err(), json: <T>() => JSON.parse(io.out()) as T };
}

beforeAll(async () => {
  port = await freePort();
  const distributionEnv = { ...process.env, ...env };
  const plugins = [
    localBuilderPlugin(),
    uwsgiDeployerPlugin(),
    staticDeployerPlugin(),
    nginxRouterPlugin({ httpPort: port }, distributionEnv),
    definePlugin({ name: "test/fake-addon", apiVersion: 1, register: (registry) => registry.addAddon(fakeAddon) }),
  ];
  cli = createCli(async () => createDistribution({ plugins, env: distributionEnv }), { name: "hop3", version: "1.0.0", pluginsFrom: false });
});

afterAll(async () => {
  await run("server", "stop");
  expect(processesUnder(home)).toEqual([]);
});

const answer = (app: string) => waitFor(async () => {
  const got = await httpGet(port, `${app}.localhost`).catch(() => undefined);
  return got?.status === 200 ? got.body : undefined;
}, 20_000, `${app} to answer`);

describe.sequential("hop3 backup", () => {
  let id = "";

  it("backs up a live app, its values and its attached addon into one root-only archive", async () => {
    const deployed = await run("deploy", fixture, "--app", "original");
    expect(deployed.code, deployed.err).toBe(0);
    expect(await answer("original")).toContain("hello from node-no-deps");
    expect((await run("config", "set", "original", "GREETING=kept")).code).toBe(0);
    // What `hop3 addons create fake original-db` and `attach` leave: the instance's data and core's record.
    await fakeAddon.create("original-db", {} as never);
    writeFileSync(dataOf("original-db"), "row 42\n");
    mkdirSync(join(home, "addons"), { recursive: true });
    writeFileSync(join(home, "addons", "original-db.json"), JSON.stringify({ name: "original-db", kind: "fake", createdAt: new Date().toISOString(), attachedTo: ["original"] }));

    const created = await run("backup", "create", "original", "--json");
    expect(created.code, created.err).toBe(0);
    const backup = created.json<{ id: string; file: string; addons: { instance: string; format: string }[] }>();
    id = backup.id;
    expect(id).toMatch(/^original-\d{8}T\d{6}Z-[a-z0-9]{4}$/);
    expect(backup.addons).toEqual([{ instance: "original-db", kind: "fake", format: "fake-copy", bytes: 7 }]);
    expect(statSync(join(home, "backups")).mode & 0o777).toBe(0o700);
    expect(statSync(backup.file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(home, "backups"))).toEqual([`${id}.tar`]);

    const listed = await run("backup", "list", "original", "--json");
    expect(listed.json<{ backups: { id: string; addons: unknown[] }[] }>().backups).toMatchObject([{ id, addons: [{ instance: "original-db", kind: "fake" }] }]);
    expect((await run("destroy", "original", "--yes")).code).toBe(0);
  });

  it("refuses a corrupt archive before anything is made", async () => {
    const bytes = readFileSync(join(home, "backups", `${id}.tar`));
    const at = bytes.indexOf("hello from node-no-deps");
    bytes[at] = bytes[at]! ^ 1;
    const corruptId = "original-20000101T000000Z-bad0";
    writeFileSync(join(home, "backups", `${corruptId}.tar`), bytes, { mode: 0o600 });
    const refused = await run("backup", "restore", corruptId, "--to", "broken");
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("error[BACKUP_ARCHIVE_CORRUPT]");
    expect(existsSync(join(home, "apps", "broken"))).toBe(false);
    expect(existsSync(join(home, "addons", "broken-fake.json"))).toBe(false);
    expect(existsSync(dataOf("broken-fake"))).toBe(false);
    expect(readdirSync(join(home, "backups")).sort()).toEqual([`${corruptId}.tar`, `${id}.tar`].sort());
    expect((await run("backup", "restore", "../../etc/passwd")).err).toContain("error[BACKUP_ID_INVALID]");
  });

  it("restores into a new app that serves the same answer, with its values and a new addon instance holding the data", async () => {
    const restored = await run("backup", "restore", id, "--to", "copy", "--json");
    expect(restored.code, restored.err).toBe(0);
    // original-db is named after its app, as hop3.toml [[addons]] instances are: the copy's is copy-db.
    expect(restored.json()).toMatchObject({ app: "copy", from: "original", addons: [{ instance: "copy-db", kind: "fake", created: true }] });
    expect(await answer("copy")).toContain("hello from node-no-deps");
    expect((await run("config", "get", "copy", "GREETING")).out.trim()).toBe("kept");
    expect(readFileSync(dataOf("copy-db"), "utf8")).toBe("row 42\n");
    expect(JSON.parse(readFileSync(join(home, "addons", "copy-db.json"), "utf8"))).toMatchObject({ kind: "fake", attachedTo: ["copy"] });
    // The original's instance is left as it was (detached when its app was destroyed): a restore never shares one between two apps.
    expect(JSON.parse(readFileSync(join(home, "addons", "original-db.json"), "utf8")).attachedTo).toEqual([]);

    const again = await run("backup", "restore", id, "--to", "copy");
    expect(again.err).toContain("error[BACKUP_APP_EXISTS]");
  });

  it("removes the new app and the instances it made when a restore fails after the archive was verified", async () => {
    failRestore = true;
    try {
      const failed = await run("backup", "restore", id, "--to", "halfway");
      expect(failed.code).toBe(1);
      expect(failed.err).toContain("error[PLUGIN_FAILED]: The fake addon failed in restore(): the fake server refuses this dump");
    } finally {
      failRestore = false;
    }
    expect(existsSync(join(home, "apps", "halfway"))).toBe(false);
    expect(existsSync(join(home, "addons", "halfway-db.json"))).toBe(false);
    expect(existsSync(dataOf("halfway-db"))).toBe(false);
    expect(readdirSync(join(home, "backups")).filter((name) => !name.endsWith(".tar"))).toEqual([]);
  });

  it("restores as the same app into the instance it kept, replacing its data", async () => {
    writeFileSync(dataOf("original-db"), "changed since\n");
    const restored = await run("backup", "restore", id, "--json");
    expect(restored.code, restored.err).toBe(0);
    expect(restored.json()).toMatchObject({ app: "original", addons: [{ instance: "original-db", created: false }] });
    expect(await answer("original")).toContain("hello from node-no-deps");
    expect(readFileSync(dataOf("original-db"), "utf8")).toBe("row 42\n");
    expect((await run("backup", "restore", id)).err).toContain("error[BACKUP_APP_EXISTS]");
    const forced = await run("backup", "restore", id, "--force");
    expect(forced.code, forced.err).toBe(0);
    expect((await run("releases", "original", "--json")).json<unknown[]>()).toHaveLength(2);
  });
});
