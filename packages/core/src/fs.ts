import { closeSync, fchownSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** True when the path exists and is a directory (following symlinks). */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Writes a file so that readers see the old content or the new (0600 unless told: Hop3's files
 * hold env values and are for Hop3 alone), never half of it (a temporary
 * file in the same directory, fsynced, renamed into place, then the directory fsynced). A crash
 * leaves at most a `.tmp-*` file, which nothing reads. With `owner`, the file is theirs before it
 * is renamed in (a reader that checks ownership, like sshd, never sees it root's).
 */
export function writeFileAtomic(path: string, content: string | Uint8Array, mode = 0o600, owner?: { readonly uid: number; readonly gid: number }): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const temporary = join(dir, `.tmp-${basename(path)}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    const fd = openSync(temporary, "w", mode);
    try {
      if (owner) fchownSync(fd, owner.uid, owner.gid);
      writeSync(fd, typeof content === "string" ? Buffer.from(content) : content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  syncDirectory(dir);
}

/** Writes JSON atomically, with a trailing newline. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems refuse to fsync a directory; the rename is still atomic there.
  }
}
