import { createHash } from "node:crypto";
import { chmodSync, constants, createReadStream, mkdirSync, readlinkSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { z } from "zod";
import { coreError } from "../error-codes.js";
import { Hop3Error } from "../errors.js";
import { APP_NAME_PATTERN } from "../schemas/names.js";

/**
 * A backup archive: a plain tar whose first entry is `manifest.json`, then one regular file per
 * manifest entry, each with its size and sha256 in the manifest. Nothing else is accepted on the
 * way back in: an archive may come from anywhere, so it is read as hostile (see readBackupArchive).
 */

/** The version of the archive layout this Hop3 writes and reads. */
export const BACKUP_FORMAT_VERSION = 1;

export const MANIFEST_NAME = "manifest.json";
/** The most a manifest may weigh: it is parsed before anything else is checked. */
const MANIFEST_MAX_BYTES = 16 * 1024 * 1024;
const TAR_BLOCK = 512;
/** Reads of 1 MiB: fewer round trips through the streams for large files. */
const READ_CHUNK = 1024 * 1024;

/** One file of the archive. */
export interface BackupEntry {
  /** Relative, `/`-separated, under `app/`, `source/` or `addons/`. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  /** Permission bits (no set-id bit, no write for others). */
  readonly mode: number;
}

/** The dump of one addon instance attached to the app. */
export interface BackupAddonDump {
  /** The entry that holds the dump. */
  readonly path: string;
  /** The addon kind ("postgres", "redis"). */
  readonly kind: string;
  /** The instance's name when it was backed up. */
  readonly instance: string;
  /** The dump's encoding, as the addon said ("pg_dump-custom", "redis-rdb"). */
  readonly format: string;
}

export interface BackupManifest {
  readonly formatVersion: number;
  readonly id: string;
  readonly app: string;
  readonly createdAt: string;
  /** The version of @hop3/core that wrote it. */
  readonly hop3Version: string;
  /** The live release it was taken from. */
  readonly release: { readonly id: string; readonly builder: string; readonly deployer: string };
  readonly entries: readonly BackupEntry[];
  readonly addons: readonly BackupAddonDump[];
}

const SHA256 = /^[0-9a-f]{64}$/;
const ENTRY_ROOTS = ["app/", "source/", "addons/"];

/** A path an archive may hold: relative, normalized, no `..`, no NUL, under one of the roots. */
export function isSafeEntryPath(path: string): boolean {
  if (path.includes("\0") || path.includes("\\") || path.length > 4096) return false;
  if (posix.normalize(path) !== path || path.endsWith("/") || path.startsWith("/")) return false;
  if (path.split("/").some((part) => part === ".." || part === "." || part === "")) return false;
  return ENTRY_ROOTS.some((root) => path.startsWith(root) && path.length > root.length);
}

const ManifestSchema = z.object({
  formatVersion: z.number().int(),
  id: z.string(),
  app: z.string().regex(new RegExp(APP_NAME_PATTERN)),
  createdAt: z.string(),
  hop3Version: z.string(),
  release: z.object({ id: z.string(), builder: z.string(), deployer: z.string() }),
  entries: z.array(
    z.object({
      path: z.string().refine(isSafeEntryPath, "not a path an archive may hold"),
      size: z.number().int().min(0),
      sha256: z.string().regex(SHA256),
      mode: z.number().int().min(0).max(0o777),
    }),
  ),
  addons: z.array(z.object({ path: z.string(), kind: z.string().regex(/^[a-z0-9][a-z0-9-]*$/), instance: z.string().regex(new RegExp(APP_NAME_PATTERN)), format: z.string() })),
});

/**
 * A file to put in an archive: its path there, and where to read it (a file, which must be a
 * regular file inside `within` when it is opened: an app's tree may be changed under the backup
 * by its own user) or its content.
 */
export interface ArchiveInput {
  readonly path: string;
  readonly from: { readonly file: string; readonly within: string } | { readonly content: Uint8Array };
  readonly mode?: number;
}

/**
 * Opens a file for reading as root without following a link to it or above it: the opened file
 * must be a regular file whose real path is inside `within` (a link swapped in for a file or a
 * directory after the walk would otherwise put root's files in the archive).
 */
async function openConfined(file: string, within: string): Promise<FileHandle> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    const real = readlinkSync(`/proc/self/fd/${handle.fd}`);
    if (!(await handle.stat()).isFile() || !real.startsWith(`${realpathSync(within)}/`)) throw new Error(`it is not a file of ${within}`);
    return handle;
  } catch (error) {
    await handle?.close();
    throw coreError("BACKUP_SOURCE_CHANGED", `${file} changed while the backup was written: ${(error as Error).message}.`, { cause: error, details: { file } });
  }
}

const safeMode = (mode: number | undefined) => (mode ?? 0o644) & 0o755;

async function digest(input: ArchiveInput): Promise<{ size: number; sha256: string }> {
  if ("content" in input.from) return { size: input.from.content.length, sha256: createHash("sha256").update(input.from.content).digest("hex") };
  const hash = createHash("sha256");
  let size = 0;
  const handle = await openConfined(input.from.file, input.from.within);
  for await (const chunk of handle.createReadStream({ highWaterMark: READ_CHUNK })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest("hex") };
}

/**
 * Writes an archive at `file` (0600, complete or not at all: written beside it, then renamed): the
 * manifest first, so it needs every entry's size and sha256 before the first byte. Files are read
 * twice, hashed then copied; one that changed in between fails the write (BACKUP_SOURCE_CHANGED)
 * rather than leaving an archive that would not verify.
 */
export async function writeBackupArchive(file: string, header: Omit<BackupManifest, "entries" | "formatVersion">, inputs: readonly ArchiveInput[]): Promise<BackupManifest> {
  const entries: BackupEntry[] = [];
  for (const input of inputs) {
    if (!isSafeEntryPath(input.path)) throw new Error(`writeBackupArchive: ${input.path} is not an archive path`);
    entries.push({ path: input.path, ...(await digest(input)), mode: safeMode(input.mode) });
  }
  const manifest: BackupManifest = { formatVersion: BACKUP_FORMAT_VERSION, ...header, entries };
  const partial = `${file}.partial-${process.pid}`;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const out = await open(partial, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  const pack = tar.pack();
  const writing = pipeline(pack, out.createWriteStream());
  try {
    const mtime = new Date(header.createdAt);
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    await addEntry(pack, { name: MANIFEST_NAME, size: manifestBytes.length, mode: 0o600, mtime }, manifestBytes);
    for (const [index, input] of inputs.entries()) {
      const entry = entries[index]!;
      const header = { name: entry.path, size: entry.size, mode: entry.mode, mtime };
      if ("content" in input.from) {
        await addEntry(pack, header, Buffer.from(input.from.content));
        continue;
      }
      const hash = createHash("sha256");
      const hashing = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          callback(null, chunk);
        },
      });
      // Exactly the size hashed: a file that grew since is caught by its checksum, one that shrank by tar-stream.
      const body = entry.size === 0 ? Buffer.alloc(0) : (await openConfined(input.from.file, input.from.within)).createReadStream({ start: 0, end: entry.size - 1, highWaterMark: READ_CHUNK });
      await addEntry(pack, header, body, hashing);
      if (entry.size > 0 && hash.digest("hex") !== entry.sha256) {
        throw coreError("BACKUP_SOURCE_CHANGED", `${entry.path} changed while the backup was written.`, { details: { entry: entry.path } });
      }
    }
    pack.finalize();
    await writing;
    renameSync(partial, file);
    return manifest;
  } catch (error) {
    pack.destroy();
    await writing.catch(() => undefined);
    rmSync(partial, { force: true });
    throw error;
  }
}

async function addEntry(pack: tar.Pack, header: Partial<tar.Header> & Pick<tar.Header, "name">, body: Buffer | Readable, hashing?: Transform): Promise<void> {
  if (Buffer.isBuffer(body)) {
    await new Promise<void>((resolve, reject) => pack.entry(header, body, (error) => (error ? reject(error) : resolve())));
    return;
  }
  await pipeline(body, hashing!, pack.entry(header));
}

/** An archive refused: what is wrong with it, as a coded error naming the file. */
const corrupt = (file: string, why: string, cause?: unknown) =>
  coreError("BACKUP_ARCHIVE_CORRUPT", `The backup archive ${file} cannot be used: ${why}. Nothing was changed.`, { ...(cause !== undefined && { cause }), details: { file } });
const unsafe = (file: string, why: string) => coreError("BACKUP_ARCHIVE_UNSAFE", `The backup archive ${file} holds ${why}. Nothing was changed.`, { details: { file } });

/** The manifest through its schema; a format this Hop3 does not read is BACKUP_FORMAT_UNSUPPORTED. */
export function parseManifest(file: string, bytes: Buffer): BackupManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw corrupt(file, `its manifest is not JSON (${(error as Error).message})`, error);
  }
  const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === "number" && version !== BACKUP_FORMAT_VERSION) {
    throw coreError("BACKUP_FORMAT_UNSUPPORTED", `The backup archive ${file} is of format ${version}; this Hop3 reads format ${BACKUP_FORMAT_VERSION}.`, { details: { file, formatVersion: version } });
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw corrupt(file, `its manifest is not valid (${issue.path.map(String).join(".") || "the content"}: ${issue.message})`);
  }
  const manifest = parsed.data;
  const paths = new Set<string>();
  for (const { path } of manifest.entries) {
    if (paths.has(path)) throw corrupt(file, `its manifest lists ${path} twice`);
    paths.add(path);
  }
  for (const dump of manifest.addons) {
    if (!paths.has(dump.path) || !dump.path.startsWith("addons/")) throw corrupt(file, `its manifest names a dump, ${dump.path}, that is not one of its addons/ entries`);
  }
  return manifest;
}

/** An entry of the archive being read: its header, then its data. */
type Entry = AsyncIterable<Buffer> & { readonly header: tar.Header };

/** Reads only the manifest (for `backup list`): the rest of the archive is not verified. */
export async function readBackupManifest(file: string): Promise<BackupManifest> {
  const input = createReadStream(file);
  const extract = tar.extract();
  const feeding = pipeline(input, extract);
  feeding.catch(() => undefined);
  try {
    for await (const entry of extract as AsyncIterable<Entry>) return parseManifest(file, await readManifestEntry(file, entry));
    throw corrupt(file, "it is empty");
  } catch (error) {
    if (Hop3Error.is(error)) throw error;
    throw corrupt(file, (error as Error).message, error);
  } finally {
    input.destroy();
  }
}

async function readManifestEntry(file: string, entry: Entry): Promise<Buffer> {
  const { header } = entry;
  if (header.name !== MANIFEST_NAME || header.type !== "file") throw corrupt(file, `its first entry is ${JSON.stringify(header.name)}, not ${MANIFEST_NAME}`);
  if ((header.size ?? 0) > MANIFEST_MAX_BYTES) throw corrupt(file, `its manifest is larger than ${MANIFEST_MAX_BYTES} bytes`);
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * Reads and verifies a whole archive, writing each entry under `stagingDir` (an empty directory of
 * root's) at its path: the manifest first, every entry a regular file the manifest lists once, at a
 * safe path, of the manifest's size and sha256, every listed entry present, the archive complete
 * to its end blocks. Anything else (a flipped byte, a cut file, an extra entry, a link, `..`) is
 * BACKUP_ARCHIVE_CORRUPT or BACKUP_ARCHIVE_UNSAFE; what was staged is then the caller's to remove.
 */
export async function readBackupArchive(file: string, stagingDir: string): Promise<BackupManifest> {
  let bytes = 0;
  let tail = Buffer.alloc(0);
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      tail = Buffer.concat([tail, chunk]).subarray(-2 * TAR_BLOCK);
      callback(null, chunk);
    },
  });
  const input = createReadStream(file);
  const extract = tar.extract();
  const feeding = pipeline(input, counter, extract);
  feeding.catch(() => undefined); // its error ends the loop below too; awaited after it
  let manifest: BackupManifest | undefined;
  const expected = new Map<string, BackupEntry>();
  try {
    for await (const entry of extract as AsyncIterable<Entry>) {
      if (manifest === undefined) {
        manifest = parseManifest(file, await readManifestEntry(file, entry));
        for (const listed of manifest.entries) expected.set(listed.path, listed);
        continue;
      }
      await stageEntry(file, entry, expected, stagingDir);
    }
    await feeding;
  } catch (error) {
    input.destroy();
    if (Hop3Error.is(error)) throw error;
    throw corrupt(file, `it ends before its last entry does (${(error as Error).message})`, error);
  }
  if (manifest === undefined) throw corrupt(file, "it has no manifest");
  if (bytes % TAR_BLOCK !== 0 || tail.length < 2 * TAR_BLOCK || tail.some((byte) => byte !== 0)) throw corrupt(file, `it ends after ${bytes} bytes, without the end of its archive`);
  const missing = [...expected.keys()];
  if (missing.length > 0) throw corrupt(file, `${missing.length} entr${missing.length === 1 ? "y" : "ies"} of its manifest ${missing.length === 1 ? "is" : "are"} missing (${missing.slice(0, 3).join(", ")})`);
  return manifest;
}

async function stageEntry(file: string, entry: Entry, expected: Map<string, BackupEntry>, stagingDir: string): Promise<void> {
  const { header } = entry;
  const name = header.name;
  if (header.type !== "file") throw unsafe(file, `${JSON.stringify(name)}, a ${header.type ?? "special"} entry (only regular files are read)`);
  if (!isSafeEntryPath(name)) throw unsafe(file, `${JSON.stringify(name)}, a path that leaves the archive's tree`);
  const listed = expected.get(name);
  if (listed === undefined) throw unsafe(file, `${JSON.stringify(name)}, which its manifest does not list (or lists once)`);
  expected.delete(name);
  if (header.size !== listed.size) throw corrupt(file, `${name} is ${header.size} bytes; its manifest says ${listed.size}`);
  const path = join(stagingDir, name);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const hash = createHash("sha256");
  const out = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    await pipeline(entry, hashing, out.createWriteStream());
  } finally {
    await out.close().catch(() => undefined);
  }
  if (statSync(path).size !== listed.size) throw corrupt(file, `${name} ends before its ${listed.size} bytes`);
  if (hash.digest("hex") !== listed.sha256) throw corrupt(file, `${name} does not match its checksum`);
  chmodSync(path, listed.mode & 0o755);
}
