import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import type { Deployer } from "../contracts/deployer.js";
import type { CoreDistribution } from "./core-distribution.js";

const TAIL_BYTES = 64 * 1024;

/** The last `count` lines of a file, reading only its end. */
export function tailLines(path: string, count: number): string[] {
  if (count === 0 || !existsSync(path)) return [];
  const size = statSync(path).size;
  const start = Math.max(0, size - TAIL_BYTES);
  const lines = readRange(path, start, size).split("\n");
  if (start > 0) lines.shift(); // a partial first line
  if (lines.at(-1) === "") lines.pop();
  return lines.slice(-count);
}

function readRange(path: string, start: number, end: number): string {
  const buffer = Buffer.alloc(end - start);
  const fd = openSync(path, "r");
  try {
    readSync(fd, buffer, 0, buffer.length, start);
  } finally {
    closeSync(fd);
  }
  return buffer.toString("utf8");
}

/** The last lines of each worker instance's log, prefixed with the instance. */
export async function tailWorkerLogs(deployer: Deployer, distribution: CoreDistribution, app: string, signal: AbortSignal, count: number): Promise<string[]> {
  const logs = (await deployer.logFiles?.(app, distribution.operationContext({ signal }))) ?? [];
  return logs.flatMap((log) => tailLines(log.path, count).map((line) => `${log.worker}.${log.instance} | ${line}`));
}

/** The first line of a copy whose start was dropped (core's rotateInPlace writes it). */
const DROPPED_HEADER = /^\[hop3\] (\d+) earlier bytes of this log were dropped[^\n]*\n/;

/** Bytes remembered from just before the read position: how a log emptied and refilled in place is told apart. */
const FINGERPRINT_BYTES = 256;

/**
 * Follows one log file across in-place rotation (its tail copied to `<log>.1`, then the file
 * truncated while its writers keep appending): at each `poll`, the complete lines written since
 * the last one, in order. A rotation is seen when the file shrank, or when the bytes before the read
 * position changed (it was emptied and has grown past it again). The lines written before it that
 * were not read yet are then taken from `<log>.1` (the copy made since the last poll), after the
 * last bytes read, or all of it when those were not kept; reading goes on from the start of the
 * file. Nothing here throws: a log that disappears is simply not read.
 */
export class LogFollower {
  private offset: number;
  /** The last bytes read, which lie just before `offset` in the file. */
  private fingerprint: Buffer;
  private partial = "";
  private lastPoll = Date.now();

  /** Starts at the current end of the file: `poll` gives what comes after. */
  constructor(readonly path: string) {
    const size = sizeOrUndefined(path) ?? 0;
    this.offset = size;
    this.fingerprint = readBytes(path, Math.max(0, size - FINGERPRINT_BYTES), size) ?? Buffer.alloc(0);
  }

  /** The complete lines appended since the last poll; an unfinished last line waits for the next. */
  poll(): string[] {
    const since = this.lastPoll;
    this.lastPoll = Date.now();
    const size = sizeOrUndefined(this.path);
    if (size === undefined) return [];
    let text = "";
    if (this.rotated(size)) {
      text += this.unreadFromRotated(since) ?? "";
      this.offset = 0;
      this.fingerprint = Buffer.alloc(0);
    }
    if (size > this.offset) {
      const chunk = readBytes(this.path, this.offset, size);
      if (chunk !== undefined) {
        text += chunk.toString("utf8");
        const kept = Buffer.concat([this.fingerprint, chunk]);
        this.fingerprint = kept.subarray(Math.max(0, kept.length - FINGERPRINT_BYTES));
        this.offset = size;
      }
    }
    if (text === "") return [];
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop() ?? "";
    return lines;
  }

  private rotated(size: number): boolean {
    if (size < this.offset) return true;
    if (this.fingerprint.length === 0) return false;
    const now = readBytes(this.path, this.offset - this.fingerprint.length, this.offset);
    return now === undefined || !now.equals(this.fingerprint);
  }

  /**
   * What was written after the read position before the rotation, from a `<log>.1` written since
   * `since`. The copy holds the log's last bytes, after a line counting those dropped
   * (rotateInPlace's): the position is found from that count, checked against the last bytes read,
   * else by looking for those bytes. When what was not read was dropped, all of the copy is new.
   */
  private unreadFromRotated(since: number): string | undefined {
    const copyPath = `${this.path}.1`;
    let copy: Buffer;
    try {
      // An older copy is not this rotation's: the log was emptied without one (capped).
      if (statSync(copyPath).mtimeMs < since - 1_000) return undefined;
      copy = readFileSync(copyPath);
    } catch {
      return undefined;
    }
    const header = DROPPED_HEADER.exec(copy.subarray(0, 200).toString("latin1"));
    const bodyStart = header ? header[0].length : 0;
    const dropped = header ? Number(header[1]) : 0;
    if (this.offset < dropped) return copy.toString("utf8");
    const at = bodyStart + (this.offset - dropped);
    const overlap = Math.min(this.fingerprint.length, at - bodyStart);
    if (at <= copy.length && copy.subarray(at - overlap, at).equals(this.fingerprint.subarray(this.fingerprint.length - overlap))) {
      return copy.subarray(at).toString("utf8");
    }
    const found = this.fingerprint.length > 0 ? copy.lastIndexOf(this.fingerprint) : -1;
    return (found === -1 ? copy : copy.subarray(found + this.fingerprint.length)).toString("utf8");
  }
}

function sizeOrUndefined(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

/** Bytes [start, end) of a file; undefined when it cannot be read (gone, or shorter now). */
function readBytes(path: string, start: number, end: number): Buffer | undefined {
  if (start < 0 || end < start) return undefined;
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return undefined;
  }
  try {
    const buffer = Buffer.alloc(end - start);
    const read = readSync(fd, buffer, 0, buffer.length, start);
    return read === buffer.length ? buffer : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
