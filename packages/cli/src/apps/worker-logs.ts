import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import type { Deployer, Distribution } from "@hop3/core";
import type { CliIO } from "../io.js";

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

export function readRange(path: string, start: number, end: number): string {
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
export async function tailWorkerLogs(deployer: Deployer, distribution: Distribution, app: string, io: CliIO, count: number): Promise<string[]> {
  const logs = (await deployer.logFiles?.(app, distribution.operationContext({ signal: io.signal }))) ?? [];
  return logs.flatMap((log) => tailLines(log.path, count).map((line) => `${log.worker}.${log.instance} | ${line}`));
}
