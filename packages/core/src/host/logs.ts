import { closeSync, ftruncateSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** How a log is rotated: past `maxBytes`, keeping `keep` rotated files (`<log>.1` newest). */
export interface RotationPolicy {
  readonly maxBytes: number;
  readonly keep: number;
}

/**
 * Rotates a log that its writers keep open (a worker's stdout, uWSGI's own log): its last
 * `maxBytes` are copied to `<log>.1` (older ones shift to `.2`...), then the file is emptied in
 * place. Writers open logs with O_APPEND, so their next line lands at the start of the emptied
 * file; none of them is ever blocked or signalled. What did not fit in the copy is dropped, and the
 * copy starts with a line that counts it. Lines written between the copy and the truncation are
 * lost (microseconds). Returns whether the log was rotated.
 */
export function rotateInPlace(path: string, policy: RotationPolicy): boolean {
  const size = sizeOf(path);
  if (size === undefined || size <= policy.maxBytes) return false;
  if (policy.keep > 0) {
    shiftRotated(path, policy.keep);
    const kept = Math.min(size, policy.maxBytes);
    const dropped = size - kept;
    const input = openSync(path, "r");
    const output = openSync(`${path}.1`, "w", 0o600);
    try {
      if (dropped > 0) writeSync(output, `[hop3] ${dropped} earlier bytes of this log were dropped: it grew past ${policy.maxBytes} bytes between two rotations.\n`);
      const buffer = Buffer.alloc(1024 * 1024);
      for (let position = dropped; position < size; ) {
        const read = readSync(input, buffer, 0, Math.min(buffer.length, size - position), position);
        if (read === 0) break;
        writeSync(output, buffer, 0, read);
        position += read;
      }
    } finally {
      closeSync(input);
      closeSync(output);
    }
  }
  const fd = openSync(path, "r+");
  try {
    ftruncateSync(fd, 0);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Rotates a log whose writer reopens it on a signal (nginx on SIGUSR1): renamed to `<log>.1`,
 * older ones shifted. The caller sends the signal when this returns true.
 */
export function rotateByRename(path: string, policy: RotationPolicy): boolean {
  const size = sizeOf(path);
  if (size === undefined || size <= policy.maxBytes) return false;
  if (policy.keep === 0) {
    rmSync(path, { force: true });
    return true;
  }
  shiftRotated(path, policy.keep);
  renameSync(path, `${path}.1`);
  return true;
}

/** `<log>.N-1` to `<log>.N`, down to `.1` to `.2`; what would pass `keep` is removed. */
function shiftRotated(path: string, keep: number): void {
  rmSync(`${path}.${keep}`, { force: true });
  for (let index = keep - 1; index >= 1; index--) {
    try {
      renameSync(`${path}.${index}`, `${path}.${index + 1}`);
    } catch {
      // that one does not exist yet
    }
  }
}

/**
 * Keeps a directory of logs within `capBytes`: rotated files go first, oldest first (by
 * modification time); if the live logs alone are over the cap, the largest is emptied. Returns the
 * bytes freed.
 */
export function capLogDirectory(dir: string, capBytes: number): number {
  const files = listFiles(dir);
  let total = files.reduce((sum, file) => sum + file.size, 0);
  let freed = 0;
  const rotated = files.filter((file) => !file.name.endsWith(".log")).sort((a, b) => a.mtimeMs - b.mtimeMs);
  for (const file of rotated) {
    if (total <= capBytes) break;
    rmSync(file.path, { force: true });
    total -= file.size;
    freed += file.size;
  }
  const live = files.filter((file) => file.name.endsWith(".log")).sort((a, b) => b.size - a.size);
  for (const file of live) {
    if (total <= capBytes) break;
    const fd = openSync(file.path, "r+");
    try {
      ftruncateSync(fd, 0);
    } finally {
      closeSync(fd);
    }
    total -= file.size;
    freed += file.size;
  }
  return freed;
}

/** The rotated files of a log, newest first (`<log>.1`, `<log>.2`...). */
export function rotatedFiles(path: string): string[] {
  const name = basename(path);
  const pattern = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(\\d+)$`);
  return listFiles(dirname(path))
    .flatMap((file) => {
      const match = pattern.exec(file.name);
      return match ? [{ path: file.path, index: Number(match[1]) }] : [];
    })
    .sort((a, b) => a.index - b.index)
    .map((file) => file.path);
}

function sizeOf(path: string): number | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}

function listFiles(dir: string): Array<{ name: string; path: string; size: number; mtimeMs: number }> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      const stat = statSync(join(dir, name));
      return stat.isFile() ? [{ name, path: join(dir, name), size: stat.size, mtimeMs: stat.mtimeMs }] : [];
    } catch {
      return [];
    }
  });
}
