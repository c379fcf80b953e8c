import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { backupFile, createDistribution, writeBackupArchive } from "../../src/index.js";
import { caught } from "../helpers.js";

// What a restore refuses before any plugin is asked: a distribution without plugins is enough.
const setup = () => {
  const home = mkdtempSync(join(tmpdir(), "hop3-backups-unit-"));
  return { home, distribution: createDistribution({ plugins: [], env: { HOP3_HOME: home } }) };
};

const record = (overrides: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ name: "blog", source: "/srv/blog", appEnv: {}, userEnv: { GREETING: "hi" }, scale: {}, domains: ["blog.example.org"], updatedAt: "2026-12-06T00:00:00Z", ...overrides }));

async function archiveOf(home: string, id: string, appJson: Buffer): Promise<void> {
  const header = { id, app: "blog", createdAt: "2026-12-06T00:00:00.000Z", hop3Version: "0.1.0", release: { id: "r", builder: "local", deployer: "uwsgi" }, addons: [] };
  await writeBackupArchive(backupFile(home, id), header, [{ path: "app/app.json", from: { content: appJson } }]);
}

describe("backup restore refuses before anything changes", () => {
  it("an id that is not one, and one with no archive", async () => {
    const { distribution } = setup();
    for (const id of ["../../etc/passwd", "blog", "blog-20261206T000000Z-ab12.tar", "Blog-20261206T000000Z-ab12"]) {
      expect((await caught(() => distribution.restoreBackup(id))).code, id).toBe("BACKUP_ID_INVALID");
    }
    expect((await caught(() => distribution.restoreBackup("blog-20261206T000000Z-ab12"))).code).toBe("BACKUP_NOT_FOUND");
  });

  it("values that would reach configuration files unchecked: a domain, an env key", async () => {
    const { home, distribution } = setup();
    const cases = {
      "blog-20261206T000000Z-dom1": record({ domains: ["evil.org;\n  include /etc"] }),
      "blog-20261206T000000Z-key1": record({ userEnv: { "A B": "x" } }),
    };
    for (const [id, appJson] of Object.entries(cases)) {
      await archiveOf(home, id, appJson);
      const error = await caught(() => distribution.restoreBackup(id, { to: "copy" }));
      expect({ id, code: error.code }).toEqual({ id, code: "BACKUP_ARCHIVE_UNSAFE" });
    }
    expect(existsSync(join(home, "apps", "copy"))).toBe(false);
    expect(readdirSync(join(home, "backups")).filter((name) => !name.endsWith(".tar"))).toEqual([]);
  });

  it("an addon kind this distribution does not have", async () => {
    const { home, distribution } = setup();
    const id = "blog-20261206T000000Z-add1";
    const header = { id, app: "blog", createdAt: "2026-12-06T00:00:00.000Z", hop3Version: "0.1.0", release: { id: "r", builder: "local", deployer: "uwsgi" }, addons: [{ path: "addons/blog-db.dump", kind: "postgres", instance: "blog-db", format: "pg_dump-custom" }] };
    await writeBackupArchive(backupFile(home, id), header, [
      { path: "app/app.json", from: { content: record() } },
      { path: "addons/blog-db.dump", from: { content: Buffer.from("dump") } },
    ]);
    expect((await caught(() => distribution.restoreBackup(id))).code).toBe("BACKUP_ADDON_UNAVAILABLE");
    expect(existsSync(join(home, "apps", "blog"))).toBe(false);
  });

  it("lists a damaged archive with why, beside the good ones", async () => {
    const { home, distribution } = setup();
    await archiveOf(home, "blog-20261206T000000Z-good", record());
    mkdirSync(join(home, "backups"), { recursive: true });
    writeFileSync(join(home, "backups", "blog-20261206T000001Z-bad1.tar"), "not a tar");
    writeFileSync(join(home, "backups", "notes.txt"), "ignored");
    const listed = await distribution.backups("blog");
    expect(listed.map((b) => [b.id, "corrupt" in b])).toEqual([
      ["blog-20261206T000000Z-good", false],
      ["blog-20261206T000001Z-bad1", true],
    ]);
    expect(await distribution.backups("other")).toEqual([]);
  });
});
