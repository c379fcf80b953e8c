import { execFile } from "node:child_process";
import { join } from "node:path";
import { DEBIAN_BIN_DIR } from "../src/index.js";

type Env = Readonly<Record<string, string>>;

/** psql over TCP with the variables an app got, as an app would connect (no superuser, no socket). */
export function psql(env: Env, sql: string, variables: Readonly<Record<string, string>> = {}, database = env.PGDATABASE!): Promise<string> {
  const args = ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", ...Object.entries(variables).flatMap(([k, v]) => ["-v", `${k}=${v}`])];
  return new Promise((resolve, reject) => {
    const child = execFile(
      join(DEBIAN_BIN_DIR, "psql"),
      args,
      { env: { PATH: process.env.PATH, PGHOST: env.PGHOST, PGPORT: env.PGPORT, PGUSER: env.PGUSER, PGPASSWORD: env.PGPASSWORD, PGDATABASE: database, PGCONNECT_TIMEOUT: "5" } },
      (error, stdout, stderr) => (error ? reject(new Error(`psql: ${stderr.trim() || error.message}`)) : resolve(stdout.trim())),
    );
    child.stdin!.end(sql);
  });
}

/** The conformance kit's probe: a key-value table in the instance's database. */
export const postgresProbe = {
  async write(env: Env, key: string, value: string) {
    await psql(env, "CREATE TABLE IF NOT EXISTS kv (k text PRIMARY KEY, v text); INSERT INTO kv VALUES (:'k', :'v') ON CONFLICT (k) DO UPDATE SET v = excluded.v;", { k: key, v: value });
  },
  async read(env: Env, key: string) {
    const exists = await psql(env, "SELECT to_regclass('public.kv') IS NOT NULL;");
    if (exists !== "t") return undefined;
    const value = await psql(env, "SELECT v FROM kv WHERE k = :'k';", { k: key });
    return value === "" ? undefined : value;
  },
  /** `mine`'s role into `other`'s database. */
  async readOther(mine: Env, other: Env, key: string) {
    return psql(mine, "SELECT v FROM kv WHERE k = :'k';", { k: key }, other.PGDATABASE);
  },
};
