import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync } from "node:fs";
import { request, type IncomingHttpHeaders } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { commandLine, createDistribution, createMemoryLogger, livePids, processesOfUid, waitUntil, type DeployContext, type MemoryLogger, type Router } from "@hop3/core";

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * GET on loopback with the given Host header (how nginx picks the app), on a fresh connection each
 * time so no test depends on a kept-alive socket. Fails after 5 s without an answer.
 */
export function httpGet(port: number, host: string, path = "/", headers: Readonly<Record<string, string>> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host, ...headers }, agent: false, timeout: 5_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${host}${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** A loopback port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** What a coded error looks like to a test. */
export interface CaughtError {
  readonly code: string;
  readonly message: string;
  readonly hint: string;
  readonly details: Record<string, unknown>;
  readonly stack?: string;
}

/** Runs something expected to throw, and returns what it threw (a test fails if nothing is thrown). */
export async function caught(action: () => unknown): Promise<CaughtError> {
  try {
    await action();
  } catch (error) {
    return error as CaughtError;
  }
  throw new Error("expected an error, none was thrown");
}

/** Polls until `check` gives a value (not undefined or false), or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, what = "the condition"): Promise<T> {
  const value = await waitUntil(async () => {
    try {
      return await check();
    } catch {
      return undefined; // not yet
    }
  }, { timeoutMs });
  if (value === undefined) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  return value;
}

/** Live processes (not zombies) whose command line names `dir` or that run inside it: what a test must leave none of. */
export function processesUnder(dir: string): string[] {
  return livePids().flatMap((pid) => {
    if (pid === process.pid) return [];
    try {
      const cmd = commandLine(pid).join(" ");
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      return cmd.includes(dir) || cwd === dir || cwd.startsWith(`${dir}/`) ? [`${pid} ${cmd} (in ${cwd})`] : [];
    } catch {
      return []; // gone meanwhile
    }
  });
}

/** What a deployer is given in tests: the real command runner, a logger the test reads, defaults for the rest. */
export function testDeployContext(home: string, router: Router, overrides: Partial<DeployContext> = {}): DeployContext & { logger: MemoryLogger } {
  const operation = createDistribution({ plugins: [], env: { ...process.env, HOP3_HOME: home } }).operationContext({ logger: createMemoryLogger() });
  return {
    ...operation,
    appEnv: {},
    userEnv: {},
    domains: [],
    scale: {},
    bindAddress: "127.0.0.1",
    router,
    ...overrides,
  } as DeployContext & { logger: MemoryLogger };
}

/**
 * Removes the system users Hop3 made for test homes (and a login user's sudoers drop-in): app users (`Hop3 app ...`, HOME
 * `<home>/apps/<app>/data`) and web users (`Hop3 web ...`, HOME `<home>`) whose HOP3_HOME no longer
 * exists, or lies in the temporary directory (where tests make theirs, and many leave them to be
 * looked at) untouched for an hour, with nothing running as the user. The hour keeps the users of
 * another test run going at the same time (idle between two steps) out of reach. Tests make a home per file, and each home its own
 * users: without this every run would leave some behind, and Debian has only 900 system user ids.
 * Run before and after the test run, when no test is running. Returns the names removed.
 */
export function sweepStaleHop3Users(passwd = "/etc/passwd"): string[] {
  if (process.getuid?.() !== 0) return [];
  let text: string;
  try {
    text = readFileSync(passwd, "utf8");
  } catch {
    return [];
  }
  const temporary = `${realpathSync(tmpdir())}/`;
  const stale = text.split("\n").flatMap((line) => {
    const [name, , uid, , gecos, home] = line.split(":");
    if (!name || !gecos?.startsWith("Hop3 ") || !home) return [];
    const homeOfHop3 = gecos.startsWith("Hop3 app") ? home.replace(/\/apps\/[^/]+\/data$/, "") : home;
    if (!existsSync(homeOfHop3)) return [name];
    return homeOfHop3.startsWith(temporary) && untouchedFor(homeOfHop3, STALE_AFTER_MS) && !runsAnything(Number(uid)) ? [name] : [];
  });
  // Web users last: an app user's group lists the web user as a member.
  stale.sort((a, b) => Number(a.includes("_web")) - Number(b.includes("_web")));
  for (const name of stale) {
    spawnSync("userdel", [name], { stdio: "ignore" });
    spawnSync("groupdel", [name], { stdio: "ignore" }); // kept by userdel while the web user is a member
    // A deploy keys' login user (`<prefix>_ssh`) has a sudoers drop-in of its name.
    if (/^h3[0-9a-f]{6}_ssh$/.test(name)) rmSync(`/etc/sudoers.d/${name}`, { force: true });
  }
  // Groups whose user is gone (a destroy interrupted between userdel and groupdel).
  const users = new Set(readFileSync(passwd, "utf8").split("\n").map((line) => line.split(":")[0]));
  const orphans = readFileSync("/etc/group", "utf8")
    .split("\n")
    .map((line) => line.split(":")[0] ?? "")
    .filter((name) => /^(hop3|h3[0-9a-f]{6})[-_]/.test(name) && !users.has(name));
  for (const name of orphans) spawnSync("groupdel", [name], { stdio: "ignore" });
  return [...stale, ...orphans];
}

const STALE_AFTER_MS = 60 * 60 * 1000;

function untouchedFor(dir: string, ms: number): boolean {
  try {
    return Date.now() - statSync(dir).mtimeMs > ms;
  } catch {
    return true; // gone meanwhile
  }
}

/** Whether any live process has this real uid. */
const runsAnything = (uid: number): boolean => processesOfUid(uid).length > 0;
