import { closeSync, constants, existsSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, openSync, symlinkSync, unlinkSync, writeSync } from "node:fs";
import { lutimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Header } from "tar-stream";
import { appDirsOf, coreErrorCatalog, ensureAppUser, Hop3Error, isValidAppName, lockApp, parseSize, prepareHome, replaceAppSource, UsageError } from "@hop3/core/cli";
import { tarStream } from "./commonjs.js";
import { remoteError } from "./errors.js";

type Env = Readonly<Record<string, string | undefined>>;

/** What a server accepts in one upload unless HOP3_UPLOAD_MAX_SIZE says otherwise. */
export const DEFAULT_UPLOAD_MAX_BYTES = 1024 ** 3;

/** HOP3_UPLOAD_MAX_SIZE (a size: "500M", "2G", bytes), else 1 GiB. */
export function uploadMaxBytes(env: Env): number {
  const set = env.HOP3_UPLOAD_MAX_SIZE;
  if (set === undefined || set === "") return DEFAULT_UPLOAD_MAX_BYTES;
  const bytes = parseSize(set);
  if (bytes === undefined) {
    throw new Hop3Error({
      code: "HOP3_SETTING_INVALID",
      message: `HOP3_UPLOAD_MAX_SIZE is ${JSON.stringify(set)}; it must be a size such as "500M", "2G" or a number of bytes.`,
      hint: coreErrorCatalog.HOP3_SETTING_INVALID.hint,
      details: { setting: "HOP3_UPLOAD_MAX_SIZE", value: set },
    });
  }
  return bytes;
}

/** What an unpacked upload held. */
export interface Unpacked {
  readonly bytes: number;
  readonly files: number;
}

const TAR_BLOCK = 512;

/**
 * Unpacks a plain tar stream into `target` (an empty directory of Hop3's), refusing what could
 * reach outside it: absolute paths, `..`, a link whose target leaves the tree, an entry under a
 * link, and anything but files, directories and links (UPLOAD_PATH_UNSAFE). Past `maxBytes` of
 * archive it stops (UPLOAD_TOO_LARGE); an archive that ends before its end-of-archive blocks (a
 * cut connection) is UPLOAD_INCOMPLETE. Modes keep their execute bits, never a set-id bit nor
 * write for others. On any error, what was written is left for the caller to remove.
 */
export async function unpackUpload(input: Readable, target: string, maxBytes: number): Promise<Unpacked> {
  let bytes = 0;
  let tail = Buffer.alloc(0);
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        callback(remoteError("UPLOAD_TOO_LARGE", `The upload is larger than ${maxBytes} bytes, the most this server accepts (HOP3_UPLOAD_MAX_SIZE).`, { details: { maxBytes } }));
        return;
      }
      // The last two blocks seen (the end-of-archive marker), without copying each whole chunk.
      tail = chunk.length >= 2 * TAR_BLOCK ? Buffer.from(chunk.subarray(-2 * TAR_BLOCK)) : Buffer.concat([tail, chunk]).subarray(-2 * TAR_BLOCK);
      callback(null, chunk);
    },
  });
  const extract = tarStream().extract();
  const feeding = pipeline(input, counter, extract);
  feeding.catch(() => undefined); // its error ends the loop below too; awaited after it
  let files = 0;
  try {
    for await (const entry of extract) {
      await place(target, entry);
      if (entry.header.type === "file") files++;
    }
    await feeding;
  } catch (error) {
    input.destroy();
    if (Hop3Error.is(error)) throw error;
    throw remoteError("UPLOAD_INCOMPLETE", `The upload ended before the archive did (${bytes} bytes read): ${(error as Error).message}.`, { cause: error, details: { bytes } });
  }
  if (bytes < 2 * TAR_BLOCK || bytes % TAR_BLOCK !== 0 || tail.some((byte) => byte !== 0)) {
    throw remoteError("UPLOAD_INCOMPLETE", `The upload ended after ${bytes} bytes, without the end of its archive.`, { details: { bytes } });
  }
  return { bytes, files };
}

/** An entry of the archive: its header, then its data. */
type Entry = AsyncIterable<unknown> & { readonly header: Header };

async function place(target: string, entry: Entry): Promise<void> {
  const { header } = entry;
  const name = safeName(header.name);
  const refuse = (why: string) => remoteError("UPLOAD_PATH_UNSAFE", `The upload holds ${JSON.stringify(header.name)}, ${why}: nothing was unpacked.`, { details: { entry: header.name, type: header.type } });
  if (name === undefined) throw refuse("a path that leaves the app's directory");
  if (name === "") {
    await drain(entry);
    return;
  }
  checkParents(target, name, refuse);
  const path = join(target, name);
  const mode = (header.mode ?? 0o644) & 0o755;
  switch (header.type) {
    case "directory": {
      const existing = lstatOrUndefined(path);
      if (existing !== undefined && !existing.isDirectory()) throw refuse("a directory where the archive already put a file or a link");
      if (existing === undefined) mkdirSync(path, { mode: mode | 0o700 });
      await drain(entry);
      return;
    }
    case "file": {
      if (lstatOrUndefined(path)?.isDirectory()) throw refuse("a file where the archive already put a directory");
      if (lstatOrUndefined(path) !== undefined) unlinkSync(path); // a later copy of a path replaces the earlier, as tar does
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode | 0o600);
      try {
        // Written as it arrives, each chunk at once: into the page cache, this costs less than a write stream's queue.
        for await (const chunk of entry) writeAll(fd, chunk as Buffer);
      } finally {
        closeSync(fd);
      }
      // The sender's modification time: an unchanged file stays unchanged for the copies builders keep.
      if (header.mtime !== undefined) await lutimes(path, header.mtime, header.mtime);
      return;
    }
    case "symlink": {
      const link = header.linkname ?? "";
      if (link === "" || link.includes("\0") || posix.isAbsolute(link)) throw refuse(`a link to ${JSON.stringify(link)}, outside the app`);
      const resolved = posix.normalize(posix.join(posix.dirname(name), link));
      if (resolved === ".." || resolved.startsWith("../")) throw refuse(`a link to ${JSON.stringify(link)}, outside the app`);
      if (lstatOrUndefined(path) !== undefined) throw refuse("a link where the archive already put something");
      symlinkSync(link, path);
      await drain(entry);
      return;
    }
    default:
      throw refuse(`of type ${header.type} (only files, directories and links are unpacked)`);
  }
}

function writeAll(fd: number, chunk: Buffer): void {
  for (let written = 0; written < chunk.length; ) written += writeSync(fd, chunk, written);
}

/** The entry's path relative to the tree, normalized; undefined when it would leave it. */
function safeName(raw: string): string | undefined {
  if (raw.includes("\0") || raw.startsWith("/")) return undefined;
  const normalized = posix.normalize(raw).replace(/\/+$/, "");
  if (normalized === "." || normalized === "") return "";
  if (normalized === ".." || normalized.startsWith("../")) return undefined;
  return normalized;
}

/** Every directory above the entry is a real directory of the tree (made if missing), never a link. */
function checkParents(target: string, name: string, refuse: (why: string) => Error): void {
  const parts = name.split("/").slice(0, -1);
  let dir = target;
  for (const part of parts) {
    dir = join(dir, part);
    const stat = lstatOrUndefined(dir);
    if (stat === undefined) mkdirSync(dir, { mode: 0o755 });
    else if (!stat.isDirectory()) throw refuse(`under ${JSON.stringify(part)}, which is ${stat.isSymbolicLink() ? "a link" : "a file"}`);
  }
}

async function drain(entry: AsyncIterable<unknown>): Promise<void> {
  for await (const _chunk of entry);
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Gives a tree to a user, links included (lchown never follows them). */
function chownTree(path: string, uid: number, gid: number): void {
  lchownSync(path, uid, gid);
  if (!lstatSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), uid, gid);
}

export interface ReceiveOptions {
  readonly home: string;
  readonly env: Env;
  readonly app: string;
}

const checkApp = (app: string) => {
  if (!isValidAppName(app)) throw new UsageError(`"${app}" is not a valid app name (lowercase letters, digits and hyphens)`);
};

/**
 * The server's end of `hop3 deploy --remote`: unpacks the upload on `input` into a staging
 * directory beside the app's source directory, under the app's lock (a deploy of the same app
 * from elsewhere is APP_BUSY at once, before anything is read), gives it to the app's user, and
 * only once it is complete puts it in place (replaceAppSource). A failed upload leaves the app as
 * it was, and a new app nothing at all. Returns the source directory to deploy.
 */
export async function receiveAppSource(input: Readable, options: ReceiveOptions): Promise<string> {
  const { home, env, app } = options;
  checkApp(app);
  const maxBytes = uploadMaxBytes(env);
  prepareHome({ home, env });
  const { appDir } = appDirsOf(home, app);
  const known = existsSync(join(appDir, "app.json"));
  const unlock = lockApp(home, app, "deploy --receive", { create: true });
  const staging = mkdtempSync(join(appDir, "source.upload-"));
  let source: string | undefined;
  try {
    await unpackUpload(input, staging, maxBytes);
    const user = ensureAppUser({ home, env }, app);
    if (user.dedicated) chownTree(staging, user.uid, user.gid);
    source = replaceAppSource(home, app, staging);
    return source;
  } finally {
    if (source === undefined) {
      rmSync(staging, { recursive: true, force: true });
      // A first deploy whose upload failed leaves nothing, as a first deploy that failed does.
      if (!known && !existsSync(join(appDir, "app.json"))) rmSync(appDir, { recursive: true, force: true });
    }
    unlock();
  }
}

/**
 * The server's end of `hop3 plan|validate --remote`: the upload unpacked into a directory of its
 * own, for the command to read, then removed (`dispose`). Nothing of the app changes.
 */
export async function receiveScratchSource(input: Readable, options: ReceiveOptions): Promise<{ dir: string; dispose(): void }> {
  checkApp(options.app);
  const parent = mkdtempSync(join(tmpdir(), "hop3-upload-"));
  const dir = join(parent, options.app);
  mkdirSync(dir, { mode: 0o700 });
  const dispose = () => rmSync(parent, { recursive: true, force: true });
  try {
    await unpackUpload(input, dir, uploadMaxBytes(options.env));
    return { dir, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}
