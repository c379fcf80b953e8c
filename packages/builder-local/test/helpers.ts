import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, caught, httpGet, processesUnder } from "@hop3/test-support";

export { freePort, caught, processesUnder };

/** The fixture apps of this package. */
export const FIXTURES = resolve(import.meta.dirname, "..", "..", "..", "test-fixtures", "local-apps");

/** What a fixture's expect.json says must be seen. */
export interface FixtureExpectation {
  readonly kind?: string;
  readonly workers?: readonly string[];
  readonly toolchains?: readonly string[];
  readonly http?: { readonly path: string; readonly contains: string };
  readonly code?: string;
  /** `plan` when the error comes from planning (no builder accepts). */
  readonly stage?: "plan" | "build";
  /** The Local builder's `env` option for this fixture. */
  readonly env?: Readonly<Record<string, string>>;
}

export const expectationOf = (name: string): FixtureExpectation => JSON.parse(readFileSync(join(FIXTURES, name, "expect.json"), "utf8")) as FixtureExpectation;

export const fixtureNames = (): { good: string[]; broken: string[] } => {
  const names = readdirSync(FIXTURES).sort();
  return { good: names.filter((n) => !expectationOf(n).code), broken: names.filter((n) => expectationOf(n).code) };
};

const homes: string[] = [];
/** A fresh HOP3_HOME, short so unix socket paths stay under their limit. */
export function tempHome(prefix = "h3lo-"): string {
  const home = mkdtempSync(join(tmpdir(), prefix));
  homes.push(home);
  return home;
}
export function removeTempHomes(): void {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
}

/** Polls GET until it answers 200 with `contains`, or fails with the last answer. */
export async function waitForBody(port: number, path: string, host: string, contains: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      const answer = await httpGet(port, host, path);
      last = `${answer.status} ${answer.body.slice(0, 300)}`;
      if (answer.status === 200 && answer.body.includes(contains)) return answer.body;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) throw new Error(`GET ${host}${path}: never answered 200 with "${contains}"; last: ${last}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

