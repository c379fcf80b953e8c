import { connectRedis } from "../src/resp.js";

/** Variables an app got from `attach`. */
type AppEnv = Readonly<Record<string, string>>;

/**
 * Reaches an instance's keys the way an app does, with its REDIS_URL and REDIS_PREFIX: the probe
 * @hop3/testing's describeAddonConformance takes (write, read, readOther).
 */
export const redisProbe = {
  async write(env: AppEnv, key: string, value: string): Promise<void> {
    await asApp(env, (redis) => redis.call("SET", `${env.REDIS_PREFIX}${key}`, value));
  },
  async read(env: AppEnv, key: string): Promise<string | undefined> {
    const reply = await asApp(env, (redis) => redis.call("GET", `${env.REDIS_PREFIX}${key}`));
    return reply === null ? undefined : String(reply);
  },
  /** Reads another instance's key with this app's credentials: the server must refuse (NOPERM). */
  async readOther(mine: AppEnv, other: AppEnv, key: string): Promise<string | undefined> {
    const reply = await asApp(mine, (redis) => redis.call("GET", `${other.REDIS_PREFIX}${key}`));
    return reply === null ? undefined : String(reply);
  },
};

async function asApp<T>(env: AppEnv, action: (redis: Awaited<ReturnType<typeof connectRedis>>) => Promise<T>): Promise<T> {
  const url = new URL(env.REDIS_URL!);
  const redis = await connectRedis({ host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
  try {
    return await action(redis);
  } finally {
    redis.close();
  }
}
