import { spawnSync } from "node:child_process";
import { randomBytes, createHash } from "node:crypto";
import { existsSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { userInfo } from "node:os";
import {
  commandLine,
  ensureDir,
  findProgram,
  isAlive,
  isPortInUse,
  livePids,
  lookupUser,
  prepareHome,
  readPid,
  runAsUser,
  runsAsRoot,
  userPrefix,
  waitUntil,
  writeFileAtomic,
  type AppUser,
  type OperationContext,
} from "@hop3/core";
import { ADMIN_USER } from "./acl.js";
import { redisError } from "./errors.js";
import type { RedisLayout } from "./layout.js";
import type { RedisSettings } from "./options.js";
import { connectRedis, type RedisConnection } from "./resp.js";

/** The comment of the Redis user, as Hop3 writes it for each of its own servers' users. */
const GECOS = "Hop3 service redis";

/** A password: 256 random bits, in hex so it needs no escaping in a URL or an ACL rule. */
export const newPassword = (): string => randomBytes(32).toString("hex");

/**
 * The user redis-server runs as: as root, this HOP3_HOME's `<prefix>_redis` system user (made if
 * missing, no login, HOME at HOP3_HOME like the web user, so the test-home sweep finds it), never
 * root; otherwise the user running Hop3.
 */
export function ensureRedisUser(context: OperationContext): AppUser {
  const home = resolve(context.home);
  if (!runsAsRoot()) {
    const info = userInfo();
    return { name: info.username, uid: info.uid, gid: info.gid, home, dedicated: false };
  }
  const name = `${userPrefix(context)}_redis`;
  let entry = lookupUser(name);
  if (entry === undefined) {
    useradd(["--system", "--user-group", "--no-create-home", "--no-log-init", "--home-dir", home, "--shell", "/usr/sbin/nologin", "--comment", GECOS, name]);
    entry = lookupUser(name);
  }
  if (entry === undefined || entry.home !== home || !entry.gecos.startsWith(GECOS)) {
    throw redisError("REDIS_START_FAILED", `The user ${name} ${entry === undefined ? "could not be made" : `already exists and is not the Redis user of ${home} (its home is ${entry.home})`}.`, {
      details: { user: name, home },
    });
  }
  return { name, uid: entry.uid, gid: entry.gid, home, dedicated: true };
}

/** useradd gives up at once when another one locks /etc/passwd (exit 10): parallel Hop3 operations make that likely. */
function useradd(args: string[]): void {
  for (let attempt = 0; attempt < 50; attempt++) {
    const result = spawnSync("useradd", args, { encoding: "utf8" });
    if (result.status === 0 || result.status === 9 /* exists: made meanwhile */) return;
    if (result.status !== 10 && !/cannot lock/.test(result.stderr)) {
      throw redisError("REDIS_START_FAILED", `useradd could not make the Redis user: ${result.stderr.trim() || `exit ${result.status}`}.`, { details: { args } });
    }
    spawnSync("sleep", ["0.1"]);
  }
}

/**
 * Lays out the directories and files with their owners: the root and conf root's, the data
 * directory the server user's alone, the secrets directory root's alone. Done at each start, so a
 * home copied or restored with other modes is put right.
 */
export function prepareLayout(layout: RedisLayout, user: AppUser, settings: RedisSettings): void {
  const root = runsAsRoot() ? { uid: 0, gid: 0 } : {};
  ensureDir(dirname(layout.root), { mode: 0o711, ...root }); // core's addons/ directory: its records are 0600
  ensureDir(layout.root, { mode: 0o711, ...root });
  ensureDir(layout.secrets, { mode: 0o700, ...root });
  ensureDir(layout.data, { mode: 0o700, ...(user.dedicated && { uid: user.uid, gid: user.gid }) });
  writeFileAtomic(layout.conf, renderConfig(layout, settings), 0o644);
}

/** redis.conf: loopback only, protected mode, one database, users from the ACL file, no debug or module commands. */
export function renderConfig(layout: RedisLayout, settings: RedisSettings): string {
  const quote = (path: string) => `"${path}"`; // redisLayout admits no quote, backslash or control character
  return [
    "# Made by Hop3 (@hop3/addon-redis); rewritten at each start. Users are in the ACL file.",
    `bind ${settings.host}`,
    `port ${settings.port}`,
    "protected-mode yes",
    "daemonize yes",
    "supervised no",
    `pidfile ${quote(layout.pidFile)}`,
    `logfile ${quote(layout.logFile)}`,
    "loglevel notice",
    `dir ${quote(layout.data)}`,
    "dbfilename dump.rdb",
    "save 3600 1 300 100 60 10000",
    "appendonly no",
    "# One database: an instance is a key prefix, and no user may SELECT another.",
    "databases 1",
    `aclfile ${quote(layout.aclFile)}`,
    "acl-pubsub-default resetchannels",
    "enable-debug-command no",
    "enable-module-command no",
    "enable-protected-configs no",
    "# Every RESTORE is checked in full: a dump is data from a backup archive.",
    "sanitize-dump-payload yes",
    "",
  ].join("\n");
}

/**
 * Writes the ACL file the server loads at start: the default user off, Hop3's admin user with the
 * admin password (made when missing), and the attachment users the file already holds. Passwords
 * are written as SHA-256 hashes; the clear admin password is in root's secrets directory only.
 */
export function prepareAclFile(layout: RedisLayout, user: AppUser): string {
  let password = existsSync(layout.adminPasswordFile) ? readFileSync(layout.adminPasswordFile, "utf8").trim() : "";
  if (!/^[0-9a-f]{64}$/.test(password)) {
    password = newPassword();
    writeFileAtomic(layout.adminPasswordFile, `${password}\n`, 0o600);
  }
  const kept = existsSync(layout.aclFile)
    ? readFileSync(layout.aclFile, "utf8")
        .split("\n")
        .filter((line) => /^user [a-z0-9-]+\.[a-z0-9-]+ /.test(line))
    : [];
  const lines = [
    "user default off resetpass resetkeys resetchannels -@all",
    `user ${ADMIN_USER} on #${createHash("sha256").update(password).digest("hex")} ~* &* +@all`,
    ...kept,
    "",
  ];
  writeFileAtomic(layout.aclFile, lines.join("\n"), 0o600, user.dedicated ? { uid: user.uid, gid: user.gid } : undefined);
  return password;
}

/** The admin password (root's secret). */
export function adminPassword(layout: RedisLayout): string | undefined {
  try {
    return readFileSync(layout.adminPasswordFile, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The redis-server serving this layout, or undefined. Redis works in its `dir`, so a process is
 * ours when it is redis-server and its working directory is our data directory: a stale pid file
 * (pid reused) is ignored, and a server whose pid file was lost is still found.
 */
export function findServer(layout: RedisLayout): number | undefined {
  const fromFile = readPid(layout.pidFile);
  if (fromFile !== undefined && isOurServer(fromFile, layout)) return fromFile;
  return livePids().find((pid) => isOurServer(pid, layout));
}

function isOurServer(pid: number, layout: RedisLayout): boolean {
  try {
    return isAlive(pid) && readlinkSync(`/proc/${pid}/cwd`) === layout.data && readFileSync(`/proc/${pid}/comm`, "utf8").trim().startsWith("redis-server");
  } catch {
    return false; // gone, or not ours to look at
  }
}

/** Whether the server listens where the settings say (its process title is `redis-server <host>:<port>`). */
export function listensOn(pid: number, settings: RedisSettings): boolean {
  try {
    return commandLine(pid).join(" ").endsWith(` ${settings.host}:${settings.port}`);
  } catch {
    return false;
  }
}

/** The redis-server program, or REDIS_NOT_INSTALLED. */
export function redisServerProgram(settings: RedisSettings, env: Readonly<Record<string, string | undefined>>): string {
  const path = `${env.PATH ?? ""}:/usr/bin:/usr/sbin:/usr/local/bin`;
  const program = settings.redisServer.startsWith("/") ? (existsSync(settings.redisServer) ? settings.redisServer : undefined) : findProgram(settings.redisServer, { PATH: path });
  if (program === undefined) throw redisError("REDIS_NOT_INSTALLED", `${settings.redisServer} is not installed or not on PATH.`, { details: { program: settings.redisServer } });
  return program;
}

/**
 * Starts redis-server as the Redis user (setpriv: its uid and gid, no capability, no way back to
 * root) as a daemon that outlives Hop3, and waits until it answers Hop3's admin user.
 */
export async function startServer(context: OperationContext, layout: RedisLayout, settings: RedisSettings): Promise<number> {
  const program = redisServerProgram(settings, context.env);
  prepareHome(context); // HOP3_HOME passable (0711): the server's user must reach its data directory
  const user = ensureRedisUser(context);
  prepareLayout(layout, user, settings);
  const password = prepareAclFile(layout, user);
  const listen = `${settings.host}:${settings.port}`;
  if (await isPortInUse(settings.host, settings.port)) {
    throw redisError("REDIS_START_FAILED", `redis-server cannot listen on ${listen}: the port is in use by another program.`, {
      hint: `Stop the program holding port ${settings.port} (\`ss -ltnp 'sport = :${settings.port}'\` shows it; Debian's own redis-server service is \`systemctl disable --now redis-server\`), or set HOP3_REDIS_PORT to a free port.`,
      details: { listen },
    });
  }
  rmSync(layout.pidFile, { force: true });
  const run = runAsUser(user, { env: context.env, logger: context.logger, signal: context.signal, runner: context.run });
  const result = await run(program, [layout.conf], { purpose: "starting redis-server", cwd: layout.data });
  if (result.exitCode !== 0) {
    throw redisError("REDIS_START_FAILED", `redis-server did not start: ${result.lastLines.at(-1) ?? `exit code ${result.exitCode}`}${logTail(layout)}`, { details: { listen } });
  }
  const pid = await waitUntil(async () => {
    const found = findServer(layout);
    return found !== undefined && (await answers(settings, password)) && found;
  }, { timeoutMs: 10_000, pollMs: 20 });
  if (pid !== undefined) return pid;
  const left = findServer(layout);
  if (left !== undefined) await stopServer(left, layout);
  throw redisError("REDIS_START_FAILED", `redis-server did not answer on ${listen} within 10 s.${logTail(layout)}`, { details: { listen } });
}

async function answers(settings: RedisSettings, password: string): Promise<boolean> {
  try {
    const connection = await connectRedis({ host: settings.host, port: settings.port, user: ADMIN_USER, password, timeoutMs: 1_000 });
    connection.close();
    return true;
  } catch {
    return false;
  }
}

/** Stops the server: SIGTERM (it saves its RDB, then exits), then SIGKILL if it has not within 30 s. */
export async function stopServer(pid: number, layout: RedisLayout): Promise<void> {
  for (const [signal, waitMs] of [["SIGTERM", 30_000], ["SIGKILL", 5_000]] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
    if (await waitUntil(() => !isAlive(pid), { timeoutMs: waitMs, pollMs: 10 })) {
      rmSync(layout.pidFile, { force: true });
      return;
    }
  }
  throw redisError("REDIS_STOP_FAILED", `redis-server (pid ${pid}) is still running after SIGTERM and SIGKILL.`, { details: { pid } });
}

/** A connection as Hop3's admin user, or REDIS_UNAVAILABLE. */
export async function adminConnection(layout: RedisLayout, settings: RedisSettings): Promise<RedisConnection> {
  const password = adminPassword(layout);
  try {
    if (password === undefined) throw new Error("no admin password yet: the server was never started");
    return await connectRedis({ host: settings.host, port: settings.port, user: ADMIN_USER, password });
  } catch (error) {
    throw redisError("REDIS_UNAVAILABLE", `Hop3's redis-server on ${settings.host}:${settings.port} does not answer: ${(error as Error).message}.`, {
      cause: error,
      details: { listen: `${settings.host}:${settings.port}` },
    });
  }
}

function logTail(layout: RedisLayout): string {
  try {
    const lines = readFileSync(layout.logFile, "utf8").trimEnd().split("\n").slice(-3);
    return `\nredis-server log:\n${lines.map((line) => `  ${line}`).join("\n")}`;
  } catch {
    return "";
  }
}
