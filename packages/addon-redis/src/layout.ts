import { join, resolve } from "node:path";
import { redisError } from "./errors.js";

/**
 * Where Hop3's redis-server keeps everything, under `<HOP3_HOME>/addons/redis/`. Core keeps its
 * record of instances beside it (`<HOP3_HOME>/addons/<instance>.json`); an instance name has no
 * `/`, so the two never meet.
 */
export interface RedisLayout {
  /** `<home>/addons/redis`, root's. */
  readonly root: string;
  /** redis.conf, rewritten at each start; no secret in it. */
  readonly conf: string;
  /** The server's working directory (its `dir`), the redis user's alone: RDB, ACL file, pid file, log. */
  readonly data: string;
  /** The ACL file: password hashes only (`#<sha256>`), written by the server on `ACL SAVE`. */
  readonly aclFile: string;
  readonly pidFile: string;
  readonly logFile: string;
  /** Root's alone (0700): the admin password and each instance's passwords, in clear. */
  readonly secrets: string;
  readonly adminPasswordFile: string;
  /** Held while the server starts or stops, across Hop3 processes. */
  readonly lockFile: string;
}

/** Characters a path may hold to be written, quoted, into redis.conf. */
const SAFE_PATH = /^[A-Za-z0-9 /._+@-]+$/;

/** `<home>/addons/redis`, unchecked: whether Redis was ever used here, asked before anything else. */
export const redisRoot = (home: string): string => join(resolve(home), "addons", "redis");

/** The layout under a HOP3_HOME. Raises REDIS_HOME_INVALID when the path cannot go into redis.conf. */
export function redisLayout(home: string): RedisLayout {
  const root = redisRoot(home);
  if (!SAFE_PATH.test(root)) {
    throw redisError("REDIS_HOME_INVALID", `The Redis directory ${JSON.stringify(root)} holds a character redis.conf cannot carry safely.`, { details: { root } });
  }
  const data = join(root, "data");
  const secrets = join(root, "secrets");
  return {
    root,
    conf: join(root, "redis.conf"),
    data,
    aclFile: join(data, "users.acl"),
    pidFile: join(data, "redis.pid"),
    logFile: join(data, "redis.log"),
    secrets,
    adminPasswordFile: join(secrets, "admin.password"),
    lockFile: join(root, ".lock"),
  };
}

/** The file of an instance's passwords, one per attached app (the name is validated). */
export const instanceSecretsFile = (layout: RedisLayout, instance: string): string => join(layout.secrets, `${instance}.json`);
