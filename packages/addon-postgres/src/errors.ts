import { defineErrors } from "@hop3/core";

/** Every code raised by @hop3/addon-postgres. Codes are never renamed; each has a page under docs/errors/<CODE>.md. */
export const { catalog: postgresErrorCatalog, error: postgresError } = defineErrors({
  POSTGRES_NOT_INSTALLED: {
    title: "The PostgreSQL addon needs PostgreSQL 15's server programs, and they are not installed",
    hint: "Install them with `hop3 setup --with postgres` (Debian's postgresql-15), or give their directory in the plugin's `binDir` option.",
  },
  POSTGRES_START_FAILED: {
    title: "Hop3's PostgreSQL server could not be started",
    hint: "Read the server's last log lines shown (also in <HOP3_HOME>/addons/postgres/log/postgresql.log); when the port is taken, set HOP3_POSTGRES_PORT to a free one.",
  },
  POSTGRES_STOP_FAILED: {
    title: "Hop3's PostgreSQL server did not stop",
    hint: "Read pg_ctl's output shown; `hop3 server status` says whether it still runs. Stop what holds it (a long query) and run `hop3 server stop` again.",
  },
  POSTGRES_SQL_FAILED: {
    title: "PostgreSQL refused a statement Hop3 sent",
    hint: "Read PostgreSQL's error shown; `hop3 addons info NAME` says whether the instance and its server are as Hop3 expects.",
  },
  POSTGRES_NAME_RESERVED: {
    title: "The addon name is one PostgreSQL or Hop3 keeps for itself",
    hint: "Pick another name: postgres, template0, template1 and hop3 are taken by the server itself.",
  },
  POSTGRES_INSTANCE_EXISTS: {
    title: "A PostgreSQL database of that name exists already",
    hint: "The server holds a database the addon records do not know (left by an interrupted destroy, or made by hand): pick another name, or drop it by hand after checking what it holds.",
  },
  POSTGRES_INSTANCE_MISSING: {
    title: "The addon's PostgreSQL database does not exist",
    hint: "The database was dropped outside Hop3: destroy the addon (`hop3 addons destroy NAME --yes`) and make it again, or restore it from a backup.",
  },
  POSTGRES_DUMP_FAILED: {
    title: "pg_dump could not dump the addon's database",
    hint: "Read pg_dump's error shown; check there is room where the dump is written and the server runs (`hop3 server status`).",
  },
  POSTGRES_RESTORE_FAILED: {
    title: "pg_restore could not restore the dump; the database is as it was",
    hint: "Read pg_restore's error shown: the dump must be one `pg_dump -Fc` wrote (a Hop3 backup). The restore runs in one transaction, so nothing of it was kept.",
  },
});

export type PostgresErrorCode = keyof typeof postgresErrorCatalog;
