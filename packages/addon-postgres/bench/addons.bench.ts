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

// Overhead of Hop3's create + attach over the raw steps on the same (running) server.
export default defineBench({
  name: "addon-postgres",
  async setup() {
    writeAppRecord(home, { name: "app", source: home, appEnv: {}, userEnv: {}, scale: {}, domains: [] });
    await hop3.createAddon("postgres", "warm-up"); // starts (and initdb's) the server, outside the timings
    return async () => {
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
  ],
});
