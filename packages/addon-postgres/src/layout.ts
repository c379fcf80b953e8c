import { join } from "node:path";
import { addonsDir } from "@hop3/core";

/**
 * Where Hop3's PostgreSQL keeps its files, under `<HOP3_HOME>/addons/postgres/` (root's, others may
 * only pass through): `data/`, `run/` (the unix socket, only for root's administration) and `log/`
 * are the server user's, 0700; `secrets/` (each instance's passwords) and `server.json` (its port)
 * are root's alone.
 */
export interface PostgresLayout {
  readonly root: string;
  readonly data: string;
  readonly run: string;
  readonly logDir: string;
  readonly logFile: string;
  readonly secrets: string;
  readonly serverFile: string;
  readonly startLock: string;
}

export function postgresLayout(home: string): PostgresLayout {
  const root = join(addonsDir(home), "postgres");
  return {
    root,
    data: join(root, "data"),
    run: join(root, "run"),
    logDir: join(root, "log"),
    logFile: join(root, "log", "postgresql.log"),
    secrets: join(root, "secrets"),
    serverFile: join(root, "server.json"),
    startLock: join(root, "start.lock"),
  };
}
