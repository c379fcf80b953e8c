import { copyFileSync, chmodSync, constants, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync, type Stats } from "node:fs";
import { join } from "node:path";

/** What `syncTree` did. */
export interface SyncResult {
  /** Files and links written (new or changed). */
  readonly copied: number;
  /** Entries of the target that the source no longer has. */
  readonly removed: number;
  /** Files in the copy. */
  readonly files: number;
}

/**
 * Makes `target` a copy of `source`, changing only what differs: a file whose size or
 * modification time changed is copied again (its time kept, so the next sync sees it unchanged),
 * a link is copied as a link and never followed, what the source no longer has is removed, and
 * sockets, FIFOs and devices are left out. Modes keep their execute bits, lose every write bit but
 * the owner's and every set-id bit. Who may read the copy is decided by the target's own
 * directory. An unchanged redeploy costs a stat per entry.
 */
export function syncTree(source: string, target: string): SyncResult {
  let copied = 0;
  let removed = 0;
  let files = 0;
  const walk = (from: string, to: string, fromStat: Stats): void => {
    const toStat = lstatOrUndefined(to);
    if (toStat !== undefined && !toStat.isDirectory()) {
      rmSync(to, { recursive: true, force: true });
      removed++;
    }
    mkdirSync(to, { recursive: true });
    chmodSync(to, safeMode(fromStat.mode) | 0o700);
    const names = new Set<string>();
    for (const entry of readdirSync(from)) {
      const fromPath = join(from, entry);
      const toPath = join(to, entry);
      const stat = lstatSync(fromPath);
      if (stat.isDirectory()) walk(fromPath, toPath, stat);
      else if (stat.isSymbolicLink()) {
        const link = readlinkSync(fromPath);
        const existing = lstatOrUndefined(toPath);
        if (existing?.isSymbolicLink() && readlinkSync(toPath) === link) {
          names.add(entry);
          continue;
        }
        if (existing !== undefined) rmSync(toPath, { recursive: true, force: true });
        symlinkSync(link, toPath);
        copied++;
      } else if (stat.isFile()) {
        files++;
        const existing = lstatOrUndefined(toPath);
        if (!(existing?.isFile() && existing.size === stat.size && sameTime(existing.mtimeMs, stat.mtimeMs))) {
          if (existing !== undefined) rmSync(toPath, { recursive: true, force: true });
          copyFileSync(fromPath, toPath, constants.COPYFILE_FICLONE);
          utimesSync(toPath, stat.atimeMs / 1000, stat.mtimeMs / 1000);
          copied++;
        }
        chmodSync(toPath, safeMode(stat.mode) | 0o600);
      } else continue; // sockets, FIFOs, devices: not sources
      names.add(entry);
    }
    for (const entry of readdirSync(to)) {
      if (names.has(entry)) continue;
      rmSync(join(to, entry), { recursive: true, force: true });
      removed++;
    }
  };
  walk(source, target, lstatSync(source));
  return { copied, removed, files };
}

/**
 * Times set with utimes (seconds, as a double) come back a fraction of a millisecond off, on
 * either side: compare within a millisecond, or half the unchanged files would be copied again.
 */
const sameTime = (a: number, b: number): boolean => Math.abs(a - b) < 1;

/** Execute and read bits as they were; write for the owner only; no setuid, setgid or sticky bit. */
const safeMode = (mode: number): number => mode & 0o755;

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
