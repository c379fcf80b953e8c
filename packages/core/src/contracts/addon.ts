import type { OperationContext } from "./common.js";

/**
 * A kind of backing service (PostgreSQL, Redis): it runs one server of its kind for the whole
 * HOP3_HOME, makes instances in it (a database and its role, an ACL user), gives an app the
 * variables that reach one, and dumps and restores one. Which instances exist and which apps they
 * are attached to is core's record (the pipeline calls these methods); each instance's
 * credentials are the addon's own, kept readable by root alone.
 */
export interface Addon {
  readonly apiVersion: 1;
  /** The kind, as `hop3 addons create KIND NAME` and hop3.toml `[[addons]]` name it: "postgres", "redis". */
  readonly name: string;
  /** Other spellings hop3.toml may use for this kind (upstream writes "postgresql"). */
  readonly aliases?: readonly string[];
  /** Starts the kind's server when it does not run (idempotent), like the router's ensureRunning. */
  ensureRunning(context: OperationContext): Promise<void>;
  /** Stops the kind's server (`hop3 server stop`); its data stays. */
  stop(context: OperationContext): Promise<void>;
  /** Makes an instance (its database, its role with a generated password). Refuses one that exists. */
  create(instance: string, context: OperationContext): Promise<void>;
  /**
   * Lets `app` use the instance and returns the variables the app gets on its next start
   * (`DATABASE_URL` and `PG*`, `REDIS_URL`). Called again on each deploy of an attached app: same
   * answer while nothing changed.
   */
  attach(instance: string, app: string, context: OperationContext): Promise<Readonly<Record<string, string>>>;
  /** Takes the app's access away; the instance and its data stay. */
  detach(instance: string, app: string, context: OperationContext): Promise<void>;
  /** Drops the instance and its data, for good. */
  destroy(instance: string, context: OperationContext): Promise<void>;
  /** Writes a dump of the instance to `file` (pg_dump custom format, a Redis RDB snapshot). */
  backup(instance: string, file: string, context: OperationContext): Promise<AddonDump>;
  /** Replaces the instance's data with a dump `backup` wrote (the instance exists, made by `create`). */
  restore(instance: string, file: string, context: OperationContext): Promise<void>;
  status(instance: string, context: OperationContext): Promise<AddonStatus>;
}

/** What a backup wrote. */
export interface AddonDump {
  /** How the dump is encoded, for the archive's manifest: "pg_dump-custom", "redis-rdb". */
  readonly format: string;
  readonly bytes: number;
}

export interface AddonStatus {
  /** Whether the kind's server runs and the instance answers. */
  readonly running: boolean;
  /** Size of the instance's data, when the server tells it. */
  readonly bytes?: number;
  /** One line each, for `hop3 addons info`: version, where it listens (never a password). */
  readonly details: readonly string[];
}
