import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { childrenOf, commandLine, createDistribution, isAlive, createMemoryLogger, ensureAppUser, livePids, processStat, ensureDir, prepareAppDirs, prepareHome, type AppUser, type MemoryLogger, type OperationContext } from "@hop3/core";
import { freePort, caught, waitFor } from "@hop3/test-support";

export { childrenOf, isAlive } from "@hop3/core";

export { httpGet, type HttpAnswer } from "@hop3/test-support";

export { freePort, caught };

/** A fresh HOP3_HOME. */
export const tempHome = (): string => mkdtempSync(join(tmpdir(), "hop3-nginx-test-"));

/** What router operations get: the real command runner and a logger the test can read. */
export function operationContext(home: string): OperationContext & { logger: MemoryLogger } {
  const logger = createMemoryLogger();
  return { ...createDistribution({ plugins: [], env: { ...process.env, HOP3_HOME: home } }).operationContext({ logger }), logger };
}

const made: string[] = [];

/**
 * A directory of files (path -> content) that everyone may read, as a Nix store path is; removed
 * by `removeMadeDirs`. As root, nginx's workers run as the web user: a private temporary directory
 * (mkdtemp makes them 0700) would answer 404, as it would in production.
 */
export function makeDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "hop3-static-"));
  made.push(dir);
  chmodSync(dir, 0o755);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, path), content, { mode: 0o644 });
  }
  return dir;
}

/** Removes every directory `makeDir` made. */
export function removeMadeDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Sends raw bytes to a port and returns everything received until the peer closes. */
export function rawExchange(port: number, text: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = "";
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on("data", (chunk) => (received += chunk.toString("utf8")));
    socket.on("end", () => resolve(received));
    socket.on("error", reject);
  });
}

/** A real web worker: answers every request with its name, the path and the headers it received. */
export interface Upstream {
  readonly port: number;
  close(): Promise<void>;
}

export async function startUpstream(name: string): Promise<Upstream> {
  const port = await freePort();
  const server: Server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ from: name, path: req.url, headers: req.headers }));
  });
  // A websocket handshake: answer 101, then send the request's headers over the upgraded connection.
  server.on("upgrade", (req, socket) => {
    socket.end(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n${JSON.stringify({ from: name, headers: req.headers })}`);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** Live nginx masters started for this HOP3_HOME (found by their command line, not the pid file). */
export function mastersOf(home: string): number[] {
  const conf = join(home, "nginx", "nginx.conf");
  const titled = livePids().filter((pid) => {
    const line = commandLine(pid).join(" ");
    return line.startsWith("nginx: master process") && line.includes(` -c ${conf} `);
  });
  // A worker the master has just forked still carries the master's title for a moment.
  return titled.filter((pid) => !titled.includes(processStat(pid)?.ppid ?? 0));
}

/** The files under a directory, relative, sorted (missing directory: none). */
export function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
      .sort();
  } catch {
    return [];
  }
}

/** Who a process runs as, from /proc/<pid>/status. */
export interface Credentials {
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
}

export function credentialsOf(pid: number): Credentials {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => (status.split("\n").find((line) => line.startsWith(`${name}:`)) ?? "").slice(name.length + 1).trim().split(/\s+/).filter(Boolean).map(Number);
  return { uid: field("Uid")[0]!, gid: field("Gid")[0]!, groups: field("Groups") };
}

/** An nginx master's workers that serve requests (not old ones finishing after a reload). */
export function servingWorkers(master: number): number[] {
  return childrenOf(master).filter((pid) => {
    const line = commandLine(pid).join(" ");
    return line.startsWith("nginx: worker process") && !line.includes("shutting down");
  });
}

/**
 * The workers of the configuration nginx runs now, once it has them. After a start or a reload, a
 * loaded machine may not have forked (or titled) the new workers yet, and the workers of the
 * configuration before may not have taken their "shutting down" title yet: `before`, the master's
 * children before the reload, are waited out (idle, they leave by themselves).
 */
export function currentWorkers(master: number, before: readonly number[] = []): Promise<number[]> {
  return waitFor(() => {
    if (before.some((pid) => isAlive(pid))) return false;
    const serving = servingWorkers(master);
    return serving.length > 0 && serving;
  }, 10_000, "nginx's workers of its current configuration");
}

/**
 * A release of an app as the Local builder leaves it: the app's own user and group (core's
 * ensureAppUser, which adds the web user to the group), `<home>/apps/<app>/builds/` root's and the
 * group's 0750, the release tree the app user's with its umask 027 (group may read, others may
 * not). Only a member of the app's group reads it: the web user, not `nobody`.
 */
export function appRelease(home: string, app: string, files: Record<string, string>): { user: AppUser; dir: string } {
  const scope = { home, env: process.env };
  prepareHome(scope);
  const user = ensureAppUser(scope, app);
  const { appDir } = prepareAppDirs(scope, app, user);
  const builds = join(appDir, "builds");
  ensureDir(builds, { mode: 0o750, uid: 0, gid: user.gid });
  const dir = join(builds, "r1");
  ensureDir(dir, { mode: 0o750, uid: user.uid, gid: user.gid });
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    const parents: string[] = [];
    for (let parent = dirname(file); parent !== dir; parent = dirname(parent)) parents.unshift(parent);
    for (const parent of parents) ensureDir(parent, { mode: 0o750, uid: user.uid, gid: user.gid });
    writeFileSync(file, content, { mode: 0o640 });
    chownSync(file, user.uid, user.gid);
  }
  return { user, dir };
}
