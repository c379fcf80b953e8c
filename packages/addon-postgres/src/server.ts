import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import {
  commandLine,
  ensureDir,
  ensureServiceUser,
  findFreePort,
  isAlive,
  isPortFree,
  prepareHome,
  runAsUser,
  runsAsRoot,
  withLockFile,
  writeFileAtomic,
  writeJsonAtomic,
  silentLogger,
  type AppUser,
  type CommandResult,
  type OperationContext,
} from "@hop3/core";
import { postgresError } from "./errors.js";
import { postgresLayout, type PostgresLayout } from "./layout.js";
import type { PostgresSettings } from "./options.js";

/** The superuser role: root (and the server's own user) reach it on the unix socket only, by peer authentication. */
export const SUPERUSER = "hop3";

/** What the server is when it runs: where apps reach it. */
export interface RunningServer {
  readonly port: number;
  readonly pid: number;
}

const program = (settings: PostgresSettings, name: string) => join(settings.binDir, name);

function checkInstalled(settings: PostgresSettings): void {
  const missing = ["initdb", "pg_ctl", "postgres", "psql", "pg_dump", "pg_restore"].filter((name) => !existsSync(program(settings, name)));
  if (missing.length > 0) {
    throw postgresError("POSTGRES_NOT_INSTALLED", `${missing.join(", ")} not found in ${settings.binDir}.`, { details: { binDir: settings.binDir, missing } });
  }
}

/** The postmaster of this data directory, from its pid file, when it runs. */
export function runningPid(layout: PostgresLayout): number | undefined {
  const pid = postmasterPid(join(layout.data, "postmaster.pid"));
  if (pid === undefined || !isAlive(pid)) return undefined;
  // A stale pid file whose pid now belongs to another program is not our server.
  const line = commandLine(pid).join(" ");
  return line.includes("postgres") ? pid : undefined;
}

/** postmaster.pid's first line is the pid (the others: data directory, start time, port...). */
function postmasterPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The port kept for this home, if one was chosen. */
export function keptPort(layout: PostgresLayout): number | undefined {
  try {
    const { port } = JSON.parse(readFileSync(layout.serverFile, "utf8")) as { port?: unknown };
    return typeof port === "number" ? port : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts the server when it does not run (under a lock, so two Hop3 processes never start it
 * twice): made with initdb the first time, as its own unprivileged user, its configuration
 * written anew each start (listening on 127.0.0.1 only, password logins for apps, peer for root
 * on a socket only root can reach).
 */
export async function ensureServer(context: OperationContext, settings: PostgresSettings): Promise<RunningServer> {
  const layout = postgresLayout(context.home);
  const pid = runningPid(layout);
  const kept = keptPort(layout);
  if (pid !== undefined && kept !== undefined) return { pid, port: kept };
  checkInstalled(settings);
  return withLockFile(layout.startLock, () => startLocked(context, settings, layout), {
    purpose: "start postgres",
    signal: context.signal,
    timeoutMs: 60_000,
    busy: (holder) => postgresError("POSTGRES_START_FAILED", `Another hop3 process (pid ${holder?.pid ?? "?"}) is still starting PostgreSQL after 60 s.`, { details: {} }),
  });
}

async function startLocked(context: OperationContext, settings: PostgresSettings, layout: PostgresLayout): Promise<RunningServer> {
  const user = prepareLayout(context, layout);
  const port = settings.port ?? keptPort(layout) ?? (await choosePort());
  writeJsonAtomic(layout.serverFile, { port });
  const running = runningPid(layout);
  if (running !== undefined) return { pid: running, port };
  const asServer = runAsUser(user, { env: context.env, logger: context.logger, signal: context.signal, runner: context.run });
  if (!existsSync(join(layout.data, "PG_VERSION"))) {
    await expectSuccess(
      asServer(program(settings, "initdb"), ["-D", layout.data, "-U", SUPERUSER, "-E", "UTF8", "--locale=C", "--auth-local=peer", "--auth-host=scram-sha-256"], { allowFailure: true, purpose: "initdb" }),
      "initdb could not make the data directory",
    );
  }
  writeConfiguration(layout, user, port);
  rmSync(join(layout.data, "postmaster.pid"), { force: true }); // stale: the server does not run
  const result = await asServer(program(settings, "pg_ctl"), ["start", "-D", layout.data, "-l", layout.logFile, "-w", "-t", "60", "-s"], { allowFailure: true, purpose: "pg_ctl start" });
  const pid = runningPid(layout);
  if (result.exitCode !== 0 || pid === undefined) {
    throw postgresError("POSTGRES_START_FAILED", `PostgreSQL did not start on 127.0.0.1:${port}.${logTail(layout)}`, { details: { port, lastLines: result.lastLines } });
  }
  return { pid, port };
}

/** The home and the server's directories, as the layout says; returns the server's user. */
function prepareLayout(context: OperationContext, layout: PostgresLayout): AppUser {
  const scope = { home: context.home, env: context.env };
  prepareHome(scope);
  const user = ensureServiceUser(scope, "postgres");
  const root = runsAsRoot();
  const rootOwned = (mode: number) => (root ? { mode, uid: 0, gid: 0 } : { mode });
  const serverOwned = root ? { mode: 0o700, uid: user.uid, gid: user.gid } : { mode: 0o700 };
  ensureDir(join(layout.root, ".."), rootOwned(0o711));
  ensureDir(layout.root, rootOwned(0o711));
  ensureDir(layout.secrets, rootOwned(0o700));
  for (const dir of [layout.data, layout.run, layout.logDir]) ensureDir(dir, serverOwned);
  return user;
}

/**
 * Hop3's settings, included from postgresql.conf, and the whole of pg_hba.conf and pg_ident.conf:
 * the superuser only on the socket, by peer (root or the server's user); every other role by
 * password over 127.0.0.1, and only into the database of the instance whose role it belongs to
 * (`samerole`); everything else rejected.
 */
function writeConfiguration(layout: PostgresLayout, user: AppUser, port: number): void {
  const owner = runsAsRoot() ? { uid: user.uid, gid: user.gid } : undefined;
  const write = (name: string, text: string) => writeFileAtomic(join(layout.data, name), text, 0o600, owner);
  write(
    "hop3.conf",
    [
      "# Written by Hop3 at each start; changes here are lost.",
      "listen_addresses = '127.0.0.1'",
      `port = ${port}`,
      `unix_socket_directories = '${layout.run.replaceAll("'", "''")}'`,
      "unix_socket_permissions = 0700",
      "password_encryption = 'scram-sha-256'",
      "",
    ].join("\n"),
  );
  const main = readFileSync(join(layout.data, "postgresql.conf"), "utf8");
  if (!main.includes("include_if_exists = 'hop3.conf'")) write("postgresql.conf", `${main}\ninclude_if_exists = 'hop3.conf'\n`);
  write(
    "pg_hba.conf",
    [
      "# Written by Hop3 at each start; changes here are lost.",
      `local all ${SUPERUSER} peer map=hop3`,
      "local all all reject",
      `host all ${SUPERUSER} 127.0.0.1/32 reject`,
      "host samerole all 127.0.0.1/32 scram-sha-256",
      "host all all 0.0.0.0/0 reject",
      "host all all ::/0 reject",
      "",
    ].join("\n"),
  );
  write("pg_ident.conf", [`hop3 root ${SUPERUSER}`, `hop3 ${user.name} ${SUPERUSER}`, ""].join("\n"));
}

/** 5432 when it is free on 127.0.0.1, else a free one from the ports Hop3 keeps (findFreePort). */
async function choosePort(): Promise<number> {
  return (await isPortFree("127.0.0.1", 5432)) ? 5432 : await findFreePort("127.0.0.1");
}

/** Stops the server (fast: open sessions are ended) when it runs; its data stays. */
export async function stopServer(context: OperationContext, settings: PostgresSettings): Promise<void> {
  const layout = postgresLayout(context.home);
  if (runningPid(layout) === undefined) return;
  const user = ensureServiceUser({ home: context.home, env: context.env }, "postgres");
  const asServer = runAsUser(user, { env: context.env, logger: context.logger, signal: context.signal, runner: context.run });
  const result = await asServer(program(settings, "pg_ctl"), ["stop", "-D", layout.data, "-m", "fast", "-w", "-t", "60", "-s"], { allowFailure: true, purpose: "pg_ctl stop" });
  if (result.exitCode !== 0 && runningPid(layout) !== undefined) {
    throw postgresError("POSTGRES_STOP_FAILED", `PostgreSQL (data ${layout.data}) did not stop: ${result.lastLines.join(" ") || `pg_ctl exited with code ${result.exitCode}`}`, {
      details: { lastLines: result.lastLines },
    });
  }
}

/**
 * Runs SQL as the superuser, from a file only root reads (passwords never reach a command line),
 * in one database; returns psql's unaligned, tuples-only output. POSTGRES_SQL_FAILED with
 * PostgreSQL's error.
 */
export async function superuserSql(context: OperationContext, settings: PostgresSettings, server: RunningServer, database: string, sql: string): Promise<string> {
  const layout = postgresLayout(context.home);
  const file = join(layout.secrets, `.sql-${randomBytes(6).toString("hex")}`);
  writeFileAtomic(file, sql, 0o600);
  try {
    const result = await context.run(program(settings, "psql"), ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", ...connection(layout, server, database), "-f", file], {
      allowFailure: true,
      purpose: "psql",
      logger: silentLogger, // its output may hold what the SQL holds
    });
    if (result.exitCode !== 0) {
      const error = result.stderr.trim().split("\n").filter((line) => /ERROR|FATAL|error/.test(line)).join(" ") || result.lastLines.join(" ");
      throw postgresError("POSTGRES_SQL_FAILED", `PostgreSQL refused it (database ${database}): ${error}`, { details: { database, lastLines: result.lastLines } });
    }
    return result.stdout.trim();
  } finally {
    rmSync(file, { force: true });
  }
}

/** psql, pg_dump and pg_restore's connection arguments: the superuser over the socket. */
export const connection = (layout: PostgresLayout, server: RunningServer, database: string): string[] => ["-h", layout.run, "-p", String(server.port), "-U", SUPERUSER, "-d", database];

async function expectSuccess(result: Promise<CommandResult>, what: string): Promise<void> {
  const done = await result;
  if (done.exitCode !== 0) throw postgresError("POSTGRES_START_FAILED", `${what}: ${done.lastLines.slice(-5).join(" ")}`, { details: { lastLines: done.lastLines } });
}

function logTail(layout: PostgresLayout): string {
  try {
    const lines = readFileSync(layout.logFile, "utf8").trimEnd().split("\n").slice(-5);
    return `\nLast log lines:\n${lines.map((line) => `  ${line}`).join("\n")}`;
  } catch {
    return "";
  }
}
