import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** The last lines of a log file, for error messages; reads at most its last 64 KiB. */
export function tail(path: string, count = 20): string[] {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString("utf8").trimEnd().split("\n");
    if (length < size) lines.shift(); // the first line was cut
    return lines.slice(-count);
  } finally {
    closeSync(fd);
  }
}
