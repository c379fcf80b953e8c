import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tar from "tar-stream";
import { describe, expect, it } from "vitest";
import { BACKUP_FORMAT_VERSION, readBackupArchive, readBackupManifest, writeBackupArchive, type ArchiveInput, type BackupManifest } from "../src/index.js";
import { caught } from "./helpers.js";

const scratch = () => mkdtempSync(join(tmpdir(), "hop3-backup-"));

const HEADER = {
  id: "blog-20261206T112149Z-ab12",
  app: "blog",
  createdAt: "2026-12-06T11:21:49.000Z",
  hop3Version: "0.1.0",
  release: { id: "20261206T110000Z-cd34", builder: "local", deployer: "uwsgi" },
  addons: [{ path: "addons/blog-db.dump", kind: "postgres", instance: "blog-db", format: "pg_dump-custom" }],
};

const HEADER_NO_ADDONS = { ...HEADER, addons: [] };

/** A source tree and an archive of it, as backup create writes one. */
async function sampleArchive(): Promise<{ dir: string; file: string; manifest: BackupManifest }> {
  const dir = scratch();
  const source = join(dir, "src");
  mkdirSync(join(source, "lib"), { recursive: true });
  writeFileSync(join(source, "app.py"), "print('the original answer')\n");
  writeFileSync(join(source, "lib", "run.sh"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
  writeFileSync(join(source, "empty"), "");
  writeFileSync(join(dir, "dump"), Buffer.alloc(70_000, 7));
  const inputs: ArchiveInput[] = [
    { path: "app/app.json", from: { content: Buffer.from('{"name":"blog"}\n') } },
    { path: "source/app.py", from: { file: join(source, "app.py"), within: source } },
    { path: "source/lib/run.sh", from: { file: join(source, "lib", "run.sh"), within: source }, mode: 0o755 },
    { path: "source/empty", from: { file: join(source, "empty"), within: source } },
    { path: "addons/blog-db.dump", from: { file: join(dir, "dump"), within: dir }, mode: 0o600 },
  ];
  const file = join(dir, "backups", `${HEADER.id}.tar`);
  const manifest = await writeBackupArchive(file, HEADER, inputs);
  return { dir, file, manifest };
}

/** A tar of the given entries, as someone other than Hop3 may make one. */
async function handMade(entries: readonly { header: tar.Header | (Partial<tar.Header> & { name: string }); body?: Buffer }[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (chunk) => chunks.push(chunk as Buffer));
  const done = new Promise((resolve) => pack.on("end", () => resolve(undefined)));
  for (const { header, body } of entries) await new Promise<void>((resolve, reject) => pack.entry(header, body ?? Buffer.alloc(0), (error) => (error ? reject(error) : resolve())));
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const sha = (body: Buffer) => createHash("sha256").update(body).digest("hex");
const manifestOf = (entries: { path: string; body: Buffer }[]) =>
  Buffer.from(JSON.stringify({ formatVersion: BACKUP_FORMAT_VERSION, ...HEADER, addons: [], entries: entries.map(({ path, body }) => ({ path, size: body.length, sha256: sha(body), mode: 0o644 })) }));

async function refusal(bytes: Buffer) {
  const dir = scratch();
  const file = join(dir, "archive.tar");
  writeFileSync(file, bytes);
  const staging = join(dir, "staging");
  mkdirSync(staging);
  return caught(() => readBackupArchive(file, staging));
}

describe("backup archives", () => {
  it("round-trips: the manifest first, every file back with its content and mode, root's alone", async () => {
    const { dir, file, manifest } = await sampleArchive();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(manifest.entries.map((e) => e.path)).toEqual(["app/app.json", "source/app.py", "source/lib/run.sh", "source/empty", "addons/blog-db.dump"]);
    expect(manifest.entries[4]).toMatchObject({ size: 70_000, sha256: sha(Buffer.alloc(70_000, 7)), mode: 0o600 });
    expect(await readBackupManifest(file)).toEqual(manifest);

    const staging = join(dir, "staging");
    mkdirSync(staging);
    expect(await readBackupArchive(file, staging)).toEqual(manifest);
    expect(readFileSync(join(staging, "source/app.py"), "utf8")).toBe("print('the original answer')\n");
    expect(statSync(join(staging, "source/lib/run.sh")).mode & 0o777).toBe(0o755);
    expect(sha(readFileSync(join(staging, "addons/blog-db.dump")))).toBe(sha(Buffer.alloc(70_000, 7)));
    expect(readFileSync(join(staging, "source/empty"), "utf8")).toBe("");
    // Nothing but the archive is left where it was written.
    expect(readdirSync(join(dir, "backups"))).toEqual([`${HEADER.id}.tar`]);
  });

  it("holds paths ustar cannot (long, not ASCII), read back by Hop3 and by GNU tar alike", async () => {
    const dir = scratch();
    const source = join(dir, "src");
    const names = [`${"d".repeat(120)}/${"f".repeat(90)}.py`, `${"x".repeat(180)}/${"y".repeat(110)}`, "données/café ☕.txt", "big-1MiB-and-more.bin"];
    const bodies = names.map((name, index) => (index === 3 ? Buffer.alloc(1024 * 1024 + 3, 5) : Buffer.from(`content of ${name}\n`)));
    for (const [index, name] of names.entries()) {
      mkdirSync(join(source, name, ".."), { recursive: true });
      writeFileSync(join(source, name), bodies[index]!);
    }
    const file = join(dir, "archive.tar");
    await writeBackupArchive(file, HEADER_NO_ADDONS, names.map((name) => ({ path: `source/${name}`, from: { file: join(source, name), within: source } })));
    const staging = join(dir, "staging");
    mkdirSync(staging);
    const manifest = await readBackupArchive(file, staging);
    expect(manifest.entries.map((entry) => entry.path)).toEqual(names.map((name) => `source/${name}`));
    // Compared by digest: a deep equality of a 1 MiB buffer takes vitest seconds.
    expect(names.map((name) => sha(readFileSync(join(staging, "source", name))))).toEqual(bodies.map(sha));
    const listed = execFileSync("tar", ["-tf", file], { encoding: "utf8" }).trim().split("\n");
    expect(listed).toEqual(["manifest.json", ...names.map((name) => `source/${name}`)]);
  });

  it("refuses an archive with one byte flipped in an entry", async () => {
    const { file } = await sampleArchive();
    const bytes = readFileSync(file);
    const at = bytes.indexOf("the original answer");
    bytes[at] = bytes[at]! ^ 0x20;
    const error = await refusal(bytes);
    expect(error.code).toBe("BACKUP_ARCHIVE_CORRUPT");
    expect(error.message).toContain("source/app.py does not match its checksum");
  });

  it("refuses an archive with a byte flipped in its manifest", async () => {
    const { file } = await sampleArchive();
    const bytes = readFileSync(file);
    const at = bytes.indexOf('"size": 70000');
    bytes[at + 9] = "1".charCodeAt(0);
    const error = await refusal(bytes);
    expect(error.code).toBe("BACKUP_ARCHIVE_CORRUPT");
  });

  it("refuses a truncated archive, cut anywhere", async () => {
    const { file } = await sampleArchive();
    const bytes = readFileSync(file);
    for (const length of [0, 100, 512, 1536, Math.floor(bytes.length / 2), bytes.length - 1024, bytes.length - 1]) {
      const error = await refusal(bytes.subarray(0, length));
      expect({ length, code: error.code }).toEqual({ length, code: "BACKUP_ARCHIVE_CORRUPT" });
    }
  });

  it("refuses an archive without its manifest first", async () => {
    const body = Buffer.from("x");
    const missing = await refusal(await handMade([{ header: { name: "source/a", size: 1 }, body }]));
    expect(missing.code).toBe("BACKUP_ARCHIVE_CORRUPT");
    expect(missing.message).toContain("not manifest.json");
    const late = await refusal(await handMade([{ header: { name: "source/a", size: 1 }, body }, { header: { name: "manifest.json" }, body: manifestOf([{ path: "source/a", body }]) }]));
    expect(late.code).toBe("BACKUP_ARCHIVE_CORRUPT");
  });

  it("refuses an entry the manifest does not list, and one listed but absent", async () => {
    const body = Buffer.from("x");
    const extra = await refusal(await handMade([{ header: { name: "manifest.json" }, body: manifestOf([]) }, { header: { name: "source/extra", size: 1 }, body }]));
    expect(extra.code).toBe("BACKUP_ARCHIVE_UNSAFE");
    const twice = await refusal(
      await handMade([{ header: { name: "manifest.json" }, body: manifestOf([{ path: "source/a", body }]) }, { header: { name: "source/a", size: 1 }, body }, { header: { name: "source/a", size: 1 }, body }]),
    );
    expect(twice.code).toBe("BACKUP_ARCHIVE_UNSAFE");
    const absent = await refusal(await handMade([{ header: { name: "manifest.json" }, body: manifestOf([{ path: "source/a", body }]) }]));
    expect(absent.code).toBe("BACKUP_ARCHIVE_CORRUPT");
    expect(absent.message).toContain("missing (source/a)");
  });

  it("refuses paths that leave the tree, in the entries and in the manifest", async () => {
    const body = Buffer.from("x");
    for (const name of ["source/../../etc/passwd", "/etc/passwd", "../x", "etc/passwd", "source/./a"]) {
      const entry = await refusal(await handMade([{ header: { name: "manifest.json" }, body: manifestOf([]) }, { header: { name, size: 1 }, body }]));
      expect({ name, code: entry.code }).toEqual({ name, code: "BACKUP_ARCHIVE_UNSAFE" });
      const listed = await refusal(await handMade([{ header: { name: "manifest.json" }, body: manifestOf([{ path: name, body }]) }, { header: { name, size: 1 }, body }]));
      expect({ name, code: listed.code }).toEqual({ name, code: "BACKUP_ARCHIVE_CORRUPT" });
    }
  });

  it("refuses links and special entries, even listed", async () => {
    const body = Buffer.alloc(0);
    for (const header of [
      { name: "source/link", type: "symlink" as const, linkname: "/etc/shadow" },
      { name: "source/hard", type: "link" as const, linkname: "manifest.json" },
      { name: "source/dir", type: "directory" as const },
      { name: "source/fifo", type: "fifo" as const },
    ]) {
      const error = await refusal(await handMade([{ header: { name: "manifest.json" }, body: manifestOf([{ path: header.name, body }]) }, { header }]));
      expect({ type: header.type, code: error.code }).toEqual({ type: header.type, code: "BACKUP_ARCHIVE_UNSAFE" });
    }
  });

  it("refuses a format it does not read, by its own code", async () => {
    const manifest = Buffer.from(JSON.stringify({ ...JSON.parse(manifestOf([]).toString()), formatVersion: 99 }));
    expect((await refusal(await handMade([{ header: { name: "manifest.json" }, body: manifest }]))).code).toBe("BACKUP_FORMAT_UNSUPPORTED");
  });

  it("never reads a link swapped in for a source file", async () => {
    const dir = scratch();
    const source = join(dir, "src");
    mkdirSync(source);
    writeFileSync(join(dir, "secret"), "root's");
    symlinkSync(join(dir, "secret"), join(source, "app.py"));
    const error = await caught(() => writeBackupArchive(join(dir, "out.tar"), HEADER, [{ path: "source/app.py", from: { file: join(source, "app.py"), within: source } }]));
    expect(error.code).toBe("BACKUP_SOURCE_CHANGED");
    expect(readdirSync(dir).sort()).toEqual(["secret", "src"]);
  });
});
