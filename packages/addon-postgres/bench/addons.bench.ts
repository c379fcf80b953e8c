import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { defineBench } from "@hop3/bench";
import { createDistribution, writeAppRecord } from "@hop3/core";
import { DEBIAN_BIN_DIR, postgresAddonPlugin, postgresLayout } from "../src/index.js";

const execFileAsync = promisify(execFile);
const home = mkdtempSync(join(tmpdir(), "h3pg-"));
const env = { ...process.env, HOP3_HOME: home };
const hop3 = createDistribution({ plugins: [postgresAddonPlugin({}, env)], env });
let round = 0;

/** The same work by hand, as the superuser on the server's socket: createdb, then psql for the roles and grants. */
async function byHand(): Promise<void> {
  const name = `hand-${round++}`;
  const layout = postgresLayout(home);
  const { port } = JSON.parse(readFileSync(layout.serverFile, "utf8")) as { port: number };
  const connect = ["-h", layout.run, "-p", String(port), "-U", "hop3"];
  await execFileAsync(join(DEBIAN_BIN_DIR, "psql"), [...connect, "-d", "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", `CREATE ROLE "${name}" NOLOGIN`]);
  await execFileAsync(join(DEBIAN_BIN_DIR, "createdb"), [...connect, "-O", name, name]);
  await execFileAsync(join(DEBIAN_BIN_DIR, "psql"), [
    ...connect,
    "-d",
    "postgres",
    "-X",
    "-q",
    "-v",
    "ON_ERROR_STOP=1",
    "-c",
    `REVOKE ALL ON DATABASE "${name}" FROM PUBLIC; CREATE ROLE "${name}.app" LOGIN PASSWORD 'secret'; GRANT "${name}" TO "${name}.app"`,
  ]);
}

/** `hop3 addons create postgres NAME` then `hop3 addons attach NAME APP`, through the distribution (records, locks, grants, app record). */
async function throughHop3(): Promise<void> {
  const name = `hop3-${round++}`;
  await hop3.createAddon("postgres", name);
  await hop3.attachAddon(name, "app");
}

/** psql as the superuser on the server's socket, in one database: what a by-hand run would type. */
const connection = (database: string) => {
  const layout = postgresLayout(home);
  const { port } = JSON.parse(readFileSync(layout.serverFile, "utf8")) as { port: number };
  return ["-h", layout.run, "-p", String(port), "-U", "hop3", "-d", database];
};
const psql = (database: string, sql: string) => execFileAsync(join(DEBIAN_BIN_DIR, "psql"), [...connection(database), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql]);
const dumps = mkdtempSync(join(tmpdir(), "h3pgdump-"));
const ourDump = join(dumps, "hop3.dump");
const handDump = join(dumps, "hand.dump");
let databaseBytes = 0;
const addon = () => hop3.registry.addons()[0]!;

// Overhead of Hop3's create + attach over the raw steps on the same (running) server; then the
// addon's backup and restore of one database (what `hop3 backup create/restore` run for it) against
// pg_dump -Fc and pg_restore by hand.
export default defineBench({
  name: "addon-postgres",
  async setup() {
    writeAppRecord(home, { name: "app", source: home, appEnv: {}, userEnv: {}, scale: {}, domains: [] });
    await hop3.createAddon("postgres", "warm-up"); // starts (and initdb's) the server, outside the timings
    // The database backed up: 500,000 rows of ~100 bytes, owned by the instance as an app's would be.
    await hop3.createAddon("postgres", "big");
    await psql("big", "SET ROLE big; CREATE TABLE items AS SELECT i AS id, md5(i::text) || repeat('x', 64) AS text FROM generate_series(1, 500000) i; CREATE INDEX ON items (id);");
    databaseBytes = Number((await psql("postgres", "SELECT pg_database_size('big')")).stdout.trim());
    await addon().backup("big", ourDump, hop3.operationContext());
    await execFileAsync(join(DEBIAN_BIN_DIR, "pg_dump"), ["-Fc", ...connection("big"), "-f", handDump]);
    return async () => {
      rmSync(dumps, { recursive: true, force: true });
      await hop3.registry.addons()[0]!.stop(hop3.operationContext());
      rmSync(home, { recursive: true, force: true });
    };
  },
  cases: [
    {
      name: "addons create + attach",
      subject: { label: "createAddon + attachAddon", run: throughHop3 },
      baseline: { label: "createdb + psql (roles, grants)", run: byHand },
      iterations: 5,
      goal: "< 300 ms overhead",
    },
    {
      name: "backup of one database",
      subject: { label: "PostgresAddon.backup (pg_dump -Fc)", run: () => addon().backup("big", ourDump, hop3.operationContext()) },
      baseline: { label: "pg_dump -Fc by hand", run: () => execFileAsync(join(DEBIAN_BIN_DIR, "pg_dump"), ["-Fc", ...connection("big"), "-f", handDump]) },
      iterations: 3,
      goal: "ratio <= 1.2",
    },
    {
      name: "restore of one database",
      subject: { label: "PostgresAddon.restore (one transaction)", run: () => addon().restore("big", ourDump, hop3.operationContext()) },
      baseline: { label: "pg_restore --clean by hand", run: () => execFileAsync(join(DEBIAN_BIN_DIR, "pg_restore"), ["--clean", "--if-exists", ...connection("big"), handDump]) },
      iterations: 3,
      goal: "ratio <= 1.5",
    },
  ],
  notes: () => [`backup and restore: database of ${(databaseBytes / 1e6).toFixed(1)} MB (500,000 rows and an index); throughput = size / median.`],
});
