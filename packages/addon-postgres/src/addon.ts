import { createHash, randomInt } from "node:crypto";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { isValidAddonName, writeJsonAtomic, type Addon, type AddonDump, type AddonStatus, type OperationContext } from "@hop3/core";
import { postgresError } from "./errors.js";
import { postgresLayout } from "./layout.js";
import { resolvePostgresSettings, type PostgresAddonOptions, type PostgresSettings } from "./options.js";
import { connection, ensureServer, keptPort, runningPid, stopServer, superuserSql, type RunningServer } from "./server.js";

/** The kind's name, as `hop3 addons create postgres NAME` and hop3.toml `[[addons]] type` say it. */
export const ADDON_KIND = "postgres";

/** Names the server has already: an instance may not take them. */
const RESERVED = new Set(["postgres", "template0", "template1", "hop3"]);

/**
 * An instance is a database and a role of the same name (NOLOGIN, it owns the database and what
 * is made in it). Each app attached gets its own login role, member of it, with a generated
 * password: detaching drops that role, so the app's access ends while the others' stay. CONNECT
 * is revoked from PUBLIC and pg_hba lets a role into a database only when it belongs to the role
 * of that name (`samerole`): another instance's role is refused twice.
 */
export function createPostgresAddon(options?: PostgresAddonOptions, env: Readonly<Record<string, string | undefined>> = process.env): Addon {
  const settings = resolvePostgresSettings(options, env);
  return {
    apiVersion: 1,
    name: ADDON_KIND,
    aliases: ["postgresql"],
    async ensureRunning(context) {
      await ensureServer(context, settings);
    },
    async stop(context) {
      await stopServer(context, settings);
    },
    async create(instance, context) {
      checkName(instance);
      const server = await ensureServer(context, settings);
      if (await databaseExists(context, server, instance)) {
        throw postgresError("POSTGRES_INSTANCE_EXISTS", `The server already has a database named "${instance}".`, { details: { instance } });
      }
      const name = ident(instance);
      await sql(context, server, "postgres", [
        `DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(instance)}) THEN CREATE ROLE ${name} NOLOGIN; END IF; END$$;`,
        `CREATE DATABASE ${name} OWNER ${name};`,
        `REVOKE ALL ON DATABASE ${name} FROM PUBLIC;`,
        `GRANT CONNECT, TEMPORARY ON DATABASE ${name} TO ${name};`,
      ]);
      // PostgreSQL 15's public schema belongs to the database's owner; nobody else may use it.
      await sql(context, server, instance, ["REVOKE ALL ON SCHEMA public FROM PUBLIC;", `GRANT USAGE, CREATE ON SCHEMA public TO ${name};`]);
    },
    async attach(instance, app, context) {
      checkName(instance);
      const server = await ensureServer(context, settings);
      await requireDatabase(context, server, instance);
      const login = loginRole(instance, app);
      const password = passwordOf(context.home, instance, app);
      const role = ident(login);
      await sql(context, server, "postgres", [
        `DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(login)}) THEN CREATE ROLE ${role}; END IF; END$$;`,
        `ALTER ROLE ${role} WITH LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD ${literal(password)};`,
        `GRANT ${ident(instance)} TO ${role};`,
        // What the app makes belongs to the instance, so every app attached to it shares it.
        `ALTER ROLE ${role} IN DATABASE ${ident(instance)} SET role = ${literal(instance)};`,
      ]);
      return variables(server.port, login, password, instance);
    },
    async detach(instance, app, context) {
      checkName(instance);
      const server = await ensureServer(context, settings);
      await dropLogin(context, server, instance, loginRole(instance, app));
      forgetPassword(context.home, instance, app);
    },
    async destroy(instance, context) {
      checkName(instance);
      const server = await ensureServer(context, settings);
      const members = (await sql(context, server, "postgres", [`SELECT m.rolname FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member WHERE r.rolname = ${literal(instance)};`]))
        .split("\n")
        .filter(Boolean);
      await sql(context, server, "postgres", [`DROP DATABASE IF EXISTS ${ident(instance)} WITH (FORCE);`]);
      for (const member of members) await dropLogin(context, server, undefined, member);
      await sql(context, server, "postgres", [`DROP ROLE IF EXISTS ${ident(instance)};`]);
      rmSync(secretsFile(context.home, instance), { force: true });
    },
    async backup(instance, file, context): Promise<AddonDump> {
      checkName(instance);
      const server = await ensureServer(context, settings);
      await requireDatabase(context, server, instance);
      const layout = postgresLayout(context.home);
      const result = await context.run(tool(settings, "pg_dump"), ["-Fc", "--no-owner", "--no-privileges", ...connection(layout, server, instance), "-f", file], { allowFailure: true, purpose: "pg_dump" });
      if (result.exitCode !== 0) {
        rmSync(file, { force: true });
        throw postgresError("POSTGRES_DUMP_FAILED", `pg_dump of "${instance}" failed: ${result.lastLines.slice(-3).join(" ")}`, { details: { instance, lastLines: result.lastLines } });
      }
      return { format: "pg_dump-custom", bytes: statSync(file).size };
    },
    async restore(instance, file, context) {
      checkName(instance);
      const server = await ensureServer(context, settings);
      await requireDatabase(context, server, instance);
      const layout = postgresLayout(context.home);
      // One transaction: a dump that fails midway leaves the database as it was.
      const result = await context.run(
        tool(settings, "pg_restore"),
        ["--clean", "--if-exists", "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges", `--role=${instance}`, ...connection(layout, server, instance), file],
        { allowFailure: true, purpose: "pg_restore" },
      );
      if (result.exitCode !== 0) {
        throw postgresError("POSTGRES_RESTORE_FAILED", `pg_restore into "${instance}" failed: ${result.lastLines.slice(-3).join(" ")}`, { details: { instance, lastLines: result.lastLines } });
      }
    },
    async status(instance, context): Promise<AddonStatus> {
      checkName(instance);
      const layout = postgresLayout(context.home);
      const port = keptPort(layout);
      const pid = runningPid(layout);
      if (pid === undefined || port === undefined) return { running: false, details: ["server: stopped"] };
      const server: RunningServer = { pid, port };
      const [version, size] = (await sql(context, server, "postgres", [`SELECT current_setting('server_version'), (SELECT pg_database_size(oid) FROM pg_database WHERE datname = ${literal(instance)});`])).split("|");
      const exists = size !== undefined && size !== "";
      return {
        running: exists,
        ...(exists && { bytes: Number(size) }),
        details: [`server: PostgreSQL ${version} (pid ${pid}) on 127.0.0.1:${port}`, exists ? `database: ${instance}` : `database: ${instance} is missing`],
      };
    },
  };

  function sql(context: OperationContext, server: RunningServer, database: string, statements: readonly string[]): Promise<string> {
    return superuserSql(context, settings, server, database, `${statements.join("\n")}\n`);
  }

  async function databaseExists(context: OperationContext, server: RunningServer, instance: string): Promise<boolean> {
    return (await sql(context, server, "postgres", [`SELECT 1 FROM pg_database WHERE datname = ${literal(instance)};`])) === "1";
  }

  async function requireDatabase(context: OperationContext, server: RunningServer, instance: string): Promise<void> {
    if (!(await databaseExists(context, server, instance))) {
      throw postgresError("POSTGRES_INSTANCE_MISSING", `The server has no database "${instance}".`, { details: { instance } });
    }
  }

  /** Ends the role's sessions, gives what it made to the instance, and drops it. */
  async function dropLogin(context: OperationContext, server: RunningServer, instance: string | undefined, login: string): Promise<void> {
    const exists = (await sql(context, server, "postgres", [`SELECT 1 FROM pg_roles WHERE rolname = ${literal(login)};`])) === "1";
    if (!exists) return;
    await sql(context, server, "postgres", [`ALTER ROLE ${ident(login)} NOLOGIN;`, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = ${literal(login)};`]);
    if (instance !== undefined) await sql(context, server, instance, [`REASSIGN OWNED BY ${ident(login)} TO ${ident(instance)};`, `DROP OWNED BY ${ident(login)};`]);
    await sql(context, server, "postgres", [`DROP ROLE ${ident(login)};`]);
  }
}

const tool = (settings: PostgresSettings, name: string) => join(settings.binDir, name);

/** Every name reaching SQL is a valid addon or app name (a DNS label) and is still quoted. */
function checkName(instance: string): void {
  if (!isValidAddonName(instance)) throw postgresError("POSTGRES_SQL_FAILED", `${JSON.stringify(instance)} is not a valid addon name.`, { details: { instance } });
  if (RESERVED.has(instance)) throw postgresError("POSTGRES_NAME_RESERVED", `"${instance}" is the name of the server's own database or role.`, { details: { instance } });
}

/** A quoted SQL identifier. */
export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;
/** A quoted SQL string. */
export const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** The app's login role on the instance: `<instance>.<app>`, shortened with a hash to PostgreSQL's 63 bytes. */
export function loginRole(instance: string, app: string): string {
  const name = `${instance}.${app}`;
  if (name.length <= 63) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 12);
  return `${instance.slice(0, 63 - 1 - 12)}.${hash}`;
}

function variables(port: number, user: string, password: string, database: string): Record<string, string> {
  const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return { DATABASE_URL: url, PGHOST: "127.0.0.1", PGPORT: String(port), PGUSER: user, PGPASSWORD: password, PGDATABASE: database };
}

const PASSWORD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

const secretsFile = (home: string, instance: string) => join(postgresLayout(home).secrets, `${instance}.json`);

function readSecrets(home: string, instance: string): Record<string, string> {
  const file = secretsFile(home, instance);
  if (!existsSync(file)) return {};
  const parsed = JSON.parse(readFileSync(file, "utf8")) as { passwords?: Record<string, string> };
  return { ...parsed.passwords };
}

/** The app's password on the instance: made once (32 letters and digits, ~190 bits), kept root's alone. */
function passwordOf(home: string, instance: string, app: string): string {
  const passwords = readSecrets(home, instance);
  const kept = passwords[app];
  if (kept !== undefined) return kept;
  let password = "";
  for (let i = 0; i < 32; i++) password += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  writeJsonAtomic(secretsFile(home, instance), { passwords: { ...passwords, [app]: password } });
  return password;
}

function forgetPassword(home: string, instance: string, app: string): void {
  const { [app]: _gone, ...passwords } = readSecrets(home, instance);
  writeJsonAtomic(secretsFile(home, instance), { passwords });
}
