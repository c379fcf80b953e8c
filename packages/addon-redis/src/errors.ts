import { defineErrors } from "@hop3/core";

/**
 * Every code raised by @hop3/addon-redis. Codes are never renamed; each has a page under
 * docs/errors/<CODE>.md.
 */
export const { catalog: redisErrorCatalog, error: redisError } = defineErrors({
  REDIS_NOT_INSTALLED: {
    title: "The Redis addon needs redis-server, and it is not installed",
    hint: "Install it (`apt-get install redis-server` on Debian or Ubuntu, or `hop3 setup`); Hop3 runs its own server, the system service may stay stopped.",
  },
  REDIS_OPTIONS_INVALID: {
    title: "An option or setting of the Redis addon is not valid",
    hint: "Give HOP3_REDIS_PORT (or the `port` option) as a port number from 1 to 65535, and `redisServer` as a program name or an absolute path.",
  },
  REDIS_HOME_INVALID: {
    title: "The Redis directory under HOP3_HOME cannot be written into redis.conf",
    hint: "Use a HOP3_HOME path made of letters, digits, spaces and / . _ - + @ (no quotes, backslashes or control characters).",
  },
  REDIS_START_FAILED: {
    title: "Hop3's redis-server could not be started",
    hint: "Read the reason in the message and in <HOP3_HOME>/addons/redis/data/redis.log; when the port is taken, stop the program holding it (`ss -ltnp 'sport = :PORT'`) or set HOP3_REDIS_PORT to a free port.",
  },
  REDIS_STOP_FAILED: {
    title: "Hop3's redis-server did not stop",
    hint: "Find it with `ps -o pid,stat,args -p <pid>` (the pid is in the message) and read <HOP3_HOME>/addons/redis/data/redis.log.",
  },
  REDIS_UNAVAILABLE: {
    title: "Hop3's redis-server does not answer, or refuses Hop3's admin user",
    hint: "Run `hop3 server start` (it starts the server), then try again; <HOP3_HOME>/addons/redis/data/redis.log says why it stopped.",
  },
  REDIS_NAME_INVALID: {
    title: "A Redis instance or app name is not valid",
    hint: "Use a DNS label: lowercase letters, digits and hyphens, 1 to 63 characters, starting and ending with a letter or digit (e.g. cache, blog-sessions).",
  },
  REDIS_INSTANCE_EXISTS: {
    title: "A Redis instance of that name already exists",
    hint: "Choose another name, or attach the existing one (`hop3 addons attach NAME APP`).",
  },
  REDIS_INSTANCE_UNKNOWN: {
    title: "No Redis instance of that name exists",
    hint: "Create it first (`hop3 addons create redis NAME`); `hop3 addons` lists the instances.",
  },
  REDIS_DUMP_INVALID: {
    title: "The Redis dump is damaged, truncated or not a dump of this addon; nothing was changed",
    hint: "Restore from another backup: this file fails its checks (its format name, record lengths or SHA-256 checksum).",
  },
  REDIS_RESTORE_FAILED: {
    title: "redis-server refused a key of the dump; the instance's keys were left as they were",
    hint: "Read the server's reason in the message: a dump written by a newer Redis cannot be loaded by an older one (upgrade redis-server, then restore again).",
  },
});

/** A code of @hop3/addon-redis. */
export type RedisErrorCode = keyof typeof redisErrorCatalog;
