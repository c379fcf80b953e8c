import { createHash } from "node:crypto";
import { chmodSync, closeSync, constants, createReadStream, fstatSync, mkdirSync, openSync, readlinkSync, readSync, realpathSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { extractTar, type TarHeader } from "../vendor/tar-stream.js";
import { z } from "../vendor/zod.js";
import { coreError } from "../error-codes.js";
import { Hop3Error } from "../errors.js";
import { APP_NAME_PATTERN } from "../schemas/names.js";
import { padding, TAR_BLOCK, tarEnd, tarFileHeader } from "./tar-header.js";

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
/** Files are copied 1 MiB at a time: few round trips, little memory. */
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
function openConfined(file: string, within: string): { fd: number; size: number } {
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    const real = readlinkSync(`/proc/self/fd/${fd}`);
    const stat = fstatSync(fd);
    if (!stat.isFile() || !real.startsWith(`${realpathSync(within)}/`)) throw new Error(`it is not a file of ${within}`);
    return { fd, size: stat.size };
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    throw coreError("BACKUP_SOURCE_CHANGED", `${file} changed while the backup was written: ${(error as Error).message}.`, { cause: error, details: { file } });
  }
}

const safeMode = (mode: number | undefined) => (mode ?? 0o644) & 0o755;

/** A digest of the right length, put in the manifest until the file's own is known. */
const PENDING_DIGEST = "0".repeat(64);
/** How much is copied between two turns of the event loop (the copy itself is synchronous: see below). */
const YIELD_EVERY = 16 * 1024 * 1024;

/**
 * Writes an archive at `file` (0600, complete or not at all: written beside it, then renamed). The
 * manifest comes first but needs every file's sha256, so each file is read once: the manifest is
 * written with the sizes and placeholder digests of the same length, the files are copied and
 * hashed, and the manifest's bytes are then written again in place. A file that shrank in between
 * fails the write (BACKUP_SOURCE_CHANGED); one that grew is archived at the size first seen.
 * The reads and writes are synchronous, with a turn of the event loop every 16 MiB: an app's tree
 * is many small files, and a trip through libuv's thread pool per read cost 5 to 10 times the copy.
 */
export async function writeBackupArchive(file: string, header: Omit<BackupManifest, "entries" | "formatVersion">, inputs: readonly ArchiveInput[]): Promise<BackupManifest> {
  const entries: { -readonly [K in keyof BackupEntry]: BackupEntry[K] }[] = [];
  for (const input of inputs) {
    if (!isSafeEntryPath(input.path)) throw new Error(`writeBackupArchive: ${input.path} is not an archive path`);
    entries.push({ path: input.path, size: sizeOf(input.from), sha256: PENDING_DIGEST, mode: safeMode(input.mode) });
  }
  const manifestOf = () => Buffer.from(`${JSON.stringify({ formatVersion: BACKUP_FORMAT_VERSION, ...header, entries }, null, 2)}\n`);
  const partial = `${file}.partial-${process.pid}`;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let out: number | undefined = openSync(partial, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    const mtime = new Date(header.createdAt);
    const pending = manifestOf();
    const manifestHeader = tarFileHeader({ name: MANIFEST_NAME, size: pending.length, mode: 0o600, mtime });
    writeAll(out, Buffer.concat([manifestHeader, pending, Buffer.alloc(padding(pending.length))]));
    const copy = { chunk: Buffer.allocUnsafe(READ_CHUNK), sinceYield: 0 };
    for (const [index, input] of inputs.entries()) {
      const entry = entries[index]!;
      writeAll(out, tarFileHeader({ name: entry.path, size: entry.size, mode: entry.mode, mtime }));
      entry.sha256 = "content" in input.from ? copyContent(out, input.from.content) : await copyFile(out, input.from, entry, copy);
      writeAll(out, Buffer.alloc(padding(entry.size)));
    }
    writeAll(out, tarEnd());
    const manifestBytes = manifestOf();
    // The same length as what it replaces: the same sizes, digests of the same length.
    writeSync(out, manifestBytes, 0, manifestBytes.length, manifestHeader.length);
    closeSync(out);
    out = undefined;
    renameSync(partial, file);
    return { formatVersion: BACKUP_FORMAT_VERSION, ...header, entries };
  } catch (error) {
    if (out !== undefined) closeSync(out);
    rmSync(partial, { force: true });
    throw error;
  }
}

function sizeOf(from: ArchiveInput["from"]): number {
  if ("content" in from) return from.content.length;
  const { fd, size } = openConfined(from.file, from.within);
  closeSync(fd);
  return size;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
}

function copyContent(out: number, content: Uint8Array): string {
  writeAll(out, content);
  return createHash("sha256").update(content).digest("hex");
}

/** Copies exactly `entry.size` bytes of the file into the archive, hashing them on the way. */
async function copyFile(out: number, from: { readonly file: string; readonly within: string }, entry: BackupEntry, copy: { chunk: Buffer; sinceYield: number }): Promise<string> {
  const hash = createHash("sha256");
  const { fd } = openConfined(from.file, from.within);
  try {
    for (let copied = 0; copied < entry.size; ) {
      const bytesRead = readSync(fd, copy.chunk, 0, Math.min(copy.chunk.length, entry.size - copied), copied);
      if (bytesRead === 0) throw coreError("BACKUP_SOURCE_CHANGED", `${entry.path} changed while the backup was written: it is shorter than the ${entry.size} bytes first seen.`, { details: { entry: entry.path } });
      const data = copy.chunk.subarray(0, bytesRead);
      hash.update(data);
      writeAll(out, data);
      copied += bytesRead;
      copy.sinceYield += bytesRead;
      if (copy.sinceYield >= YIELD_EVERY) {
        copy.sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
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
type Entry = AsyncIterable<Buffer> & { readonly header: TarHeader };

/** Reads only the manifest (for `backup list`): the rest of the archive is not verified. */
export async function readBackupManifest(file: string): Promise<BackupManifest> {
  const input = createReadStream(file);
  const extract = extractTar();
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
  const extract = extractTar();
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
  // Written synchronously as the chunks come: a stream per entry costs more than the copy.
  const out = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    for await (const chunk of entry) {
      hash.update(chunk);
      writeAll(out, chunk);
    }
  } finally {
    closeSync(out);
  }
  if (statSync(path).size !== listed.size) throw corrupt(file, `${name} ends before its ${listed.size} bytes`);
  if (hash.digest("hex") !== listed.sha256) throw corrupt(file, `${name} does not match its checksum`);
  chmodSync(path, listed.mode & 0o755);
}
