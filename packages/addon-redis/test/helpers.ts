import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDistribution, createMemoryLogger, type MemoryLogger, type OperationContext } from "@hop3/core";

export { caught, freePort, processesUnder, waitFor } from "@hop3/test-support";

/** A fresh HOP3_HOME. */
export const tempHome = (): string => mkdtempSync(join(tmpdir(), "hop3-redis-test-"));

/** What addon operations get: the real command runner and a logger the test can read. */
export function operationContext(home: string): OperationContext & { logger: MemoryLogger } {
  const logger = createMemoryLogger();
  return { ...createDistribution({ plugins: [], env: { ...process.env, HOP3_HOME: home } }).operationContext({ logger }), logger };
}

/** The answer of redis-cli run as nobody (no relation to Hop3 or its files), connecting with `url`. */
export function cliAsNobody(url: string, ...args: string[]): { out: string; code: number } {
  const result = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", "redis-cli", "--no-auth-warning", "-u", url, ...args], { encoding: "utf8", cwd: "/" });
  return { out: `${result.stdout}${result.stderr}`.trim(), code: result.status ?? -1 };
}
