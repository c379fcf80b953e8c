import { redisError } from "./errors.js";

/** The package name, used as the plugin name and in option errors. */
export const PACKAGE_NAME = "@hop3/addon-redis";

/** Redis's own default is 6379, where Debian's redis-server package starts the system service: Hop3's stays clear of it. */
export const DEFAULT_REDIS_PORT = 6380;

/** Options of `createRedisAddon` and `redisAddonPlugin`. */
export interface RedisAddonOptions {
  /** Port the server listens on, on 127.0.0.1; default HOP3_REDIS_PORT, else 6380. */
  readonly port?: number;
  /** The redis-server program: a name on PATH or an absolute path (default "redis-server", also looked for in /usr/bin and /usr/sbin). */
  readonly redisServer?: string;
}

/** The options once resolved against the environment. */
export interface RedisSettings {
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly redisServer: string;
}

export function resolveRedisSettings(options: RedisAddonOptions = {}, env: Readonly<Record<string, string | undefined>> = process.env): RedisSettings {
  const fromEnv = env.HOP3_REDIS_PORT;
  let port = options.port ?? DEFAULT_REDIS_PORT;
  if (options.port === undefined && fromEnv !== undefined && fromEnv !== "") {
    if (!/^\d{1,5}$/.test(fromEnv)) throw invalid(`HOP3_REDIS_PORT is ${JSON.stringify(fromEnv)}: it must be a port number from 1 to 65535.`);
    port = Number(fromEnv);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`The Redis port is ${JSON.stringify(port)}: it must be a port number from 1 to 65535.`);
  const redisServer = options.redisServer ?? "redis-server";
  if (!/^(\/[^\0\n]+|[A-Za-z0-9_][A-Za-z0-9_.+-]*)$/.test(redisServer)) throw invalid(`redisServer is ${JSON.stringify(redisServer)}: it must be a program name or an absolute path.`);
  return { host: "127.0.0.1", port, redisServer };
}

const invalid = (message: string) => redisError("REDIS_OPTIONS_INVALID", message, { details: { package: PACKAGE_NAME } });
