import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { withLockFile, writeFileAtomic, type Addon, type AddonDump, type AddonStatus, type OperationContext } from "@hop3/core";
import { attachmentRules, attachmentUser, checkName, isUserOf, keyPrefix } from "./acl.js";
import { DUMP_FORMAT, DumpWriter, parseDump } from "./dump.js";
import { redisError } from "./errors.js";
import { instanceSecretsFile, redisLayout, redisRoot, type RedisLayout } from "./layout.js";
import { resolveRedisSettings, type RedisAddonOptions } from "./options.js";
import { ReplyError, text, type Argument, type RedisConnection, type Reply } from "./resp.js";
import { adminConnection, findServer, listensOn, newPassword, startServer, stopServer } from "./server.js";

/** The kind, as `hop3 addons create redis NAME` names it. */
export const ADDON_NAME = "redis";

/** Keys asked for per SCAN and sent per pipeline. */
const BATCH = 1_000;
/** How many keys `status` weighs with MEMORY USAGE at most: enough for an estimate, bounded in time. */
const STATUS_KEYS = 10_000;

/** What root keeps of an instance: each attached app's password, so attach answers the same on each deploy. */
interface InstanceSecrets {
  readonly passwords: Record<string, string>;
}

/**
 * The Redis addon: one redis-server for the whole HOP3_HOME (see server.ts), an instance is a key
 * prefix `<instance>:` and each app attached to it an ACL user `<instance>.<app>` confined to
 * that prefix. Options are validated at once.
 */
export function createRedisAddon(options?: RedisAddonOptions, env: Readonly<Record<string, string | undefined>> = process.env): Addon {
  const settings = resolveRedisSettings(options, env);

  async function ensureRunning(context: OperationContext): Promise<void> {
    const layout = redisLayout(context.home);
    await serverLock(layout, "starting redis-server", async () => {
      const running = findServer(layout);
      if (running !== undefined && listensOn(running, settings)) return;
      // Started with another port (HOP3_REDIS_PORT changed): started again on this one.
      if (running !== undefined) await stopServer(running, layout);
      await startServer(context, layout, settings);
    });
  }

  /** Runs `action` with the server up, holding the instances' lock, on an admin connection. */
  async function withAdmin<T>(context: OperationContext, purpose: string, action: (redis: RedisConnection, layout: RedisLayout) => Promise<T>): Promise<T> {
    await ensureRunning(context);
    const layout = redisLayout(context.home);
    return withLockFile(join(layout.root, ".instances.lock"), async () => {
      const redis = await adminConnection(layout, settings);
      try {
        return await action(redis, layout);
      } finally {
        redis.close();
      }
    }, { purpose, timeoutMs: 60_000, signal: context.signal, busy: busy(purpose) });
  }

  return {
    apiVersion: 1,
    name: ADDON_NAME,
    ensureRunning,

    async stop(context) {
      if (!existsSync(redisRoot(context.home))) return; // never started in this home
      const layout = redisLayout(context.home);
      await serverLock(layout, "stopping redis-server", async () => {
        const pid = findServer(layout);
        if (pid !== undefined) await stopServer(pid, layout);
      });
    },

    async create(instance, context) {
      checkName("instance", instance);
      await withAdmin(context, `creating Redis instance ${instance}`, async (redis, layout) => {
        const file = instanceSecretsFile(layout, instance);
        const users = (await usersOf(redis, instance)).length;
        const keys = await firstKeys(redis, instance);
        if (existsSync(file) || users > 0 || keys > 0) {
          throw redisError("REDIS_INSTANCE_EXISTS", `A Redis instance named "${instance}" already exists${existsSync(file) ? "" : ` (the server still holds ${users} of its users and ${keys > 0 ? "some" : "none"} of its keys)`}.`, {
            details: { instance },
          });
        }
        writeSecrets(file, { passwords: {} });
      });
    },

    async attach(instance, app, context) {
      checkName("instance", instance);
      checkName("app", app);
      return withAdmin(context, `attaching Redis instance ${instance} to ${app}`, async (redis, layout) => {
        const file = instanceSecretsFile(layout, instance);
        const secrets = readSecrets(file, instance);
        const password = secrets.passwords[app] ?? newPassword();
        const user = attachmentUser(instance, app);
        await redis.call("ACL", "SETUSER", user, ...attachmentRules(instance, password));
        await redis.call("ACL", "SAVE");
        if (secrets.passwords[app] !== password) writeSecrets(file, { passwords: { ...secrets.passwords, [app]: password } });
        return {
          REDIS_URL: `redis://${user}:${password}@${settings.host}:${settings.port}/0`,
          REDIS_PREFIX: keyPrefix(instance),
        };
      });
    },

    async detach(instance, app, context) {
      checkName("instance", instance);
      checkName("app", app);
      await withAdmin(context, `detaching Redis instance ${instance} from ${app}`, async (redis, layout) => {
        const file = instanceSecretsFile(layout, instance);
        const secrets = readSecrets(file, instance);
        // DELUSER also closes the connections the app holds as that user.
        await redis.call("ACL", "DELUSER", attachmentUser(instance, app));
        await redis.call("ACL", "SAVE");
        const { [app]: _gone, ...others } = secrets.passwords;
        writeSecrets(file, { passwords: others });
      });
    },

    async destroy(instance, context) {
      checkName("instance", instance);
      await withAdmin(context, `destroying Redis instance ${instance}`, async (redis, layout) => {
        const file = instanceSecretsFile(layout, instance);
        readSecrets(file, instance);
        // Users first: no app writes a key behind the sweep.
        const users = await usersOf(redis, instance);
        if (users.length > 0) await redis.call("ACL", "DELUSER", ...users);
        await redis.call("ACL", "SAVE");
        for await (const keys of scanKeys(redis, instance)) await redis.call("UNLINK", ...keys);
        rmSync(file, { force: true });
      });
    },

    async backup(instance, file, context): Promise<AddonDump> {
      checkName("instance", instance);
      return withAdmin(context, `backing up Redis instance ${instance}`, async (redis, layout) => {
        readSecrets(instanceSecretsFile(layout, instance), instance);
        const prefix = Buffer.from(keyPrefix(instance));
        const writer = new DumpWriter(file);
        const seen = new Set<string>(); // SCAN may return a key twice
        try {
          for await (const found of scanKeys(redis, instance)) {
            const keys = found.filter((key) => !seen.has(key.toString("base64")) && seen.add(key.toString("base64")));
            if (keys.length === 0) continue;
            const replies = await redis.pipeline(keys.flatMap((key) => [["DUMP", key], ["PEXPIRETIME", key]]));
            keys.forEach((key, i) => {
              const payload = replies[2 * i]!;
              const expireAt = replies[2 * i + 1]!;
              if (payload instanceof ReplyError) throw payload;
              if (expireAt instanceof ReplyError) throw expireAt;
              if (!Buffer.isBuffer(payload) || expireAt === -2) return; // expired meanwhile
              writer.add({ key: key.subarray(prefix.length), expireAt: Number(expireAt), payload });
            });
          }
          return { format: DUMP_FORMAT, bytes: writer.finish() };
        } catch (error) {
          writer.abandon();
          throw error;
        }
      });
    },

    async restore(instance, file, context) {
      checkName("instance", instance);
      // Read and checked whole before anything changes.
      const records = parseDump(readDumpFile(file), file);
      await withAdmin(context, `restoring Redis instance ${instance}`, async (redis, layout) => {
        readSecrets(instanceSecretsFile(layout, instance), instance);
        const now = Date.now();
        const live = records.filter((record) => record.expireAt < 0 || record.expireAt > now + 1_000);
        await checkPayloads(redis, live.map((record) => record.payload), file);
        const prefix = Buffer.from(keyPrefix(instance));
        const current: Buffer[] = [];
        for await (const keys of scanKeys(redis, instance)) current.push(...keys);
        // One transaction: the app sees the old keys or the new ones, never a mix.
        const commands: Argument[][] = [["MULTI"]];
        for (let i = 0; i < current.length; i += BATCH) commands.push(["UNLINK", ...current.slice(i, i + BATCH)]);
        for (const record of live) {
          commands.push(["RESTORE", Buffer.concat([prefix, record.key]), record.expireAt < 0 ? 0 : record.expireAt, record.payload, "REPLACE", ...(record.expireAt < 0 ? [] : ["ABSTTL"])]);
        }
        commands.push(["EXEC"]);
        const replies = await redis.pipeline(commands);
        const failed = [...replies.slice(0, -1).filter((reply) => reply instanceof ReplyError), ...(asArray(replies.at(-1)).filter((reply) => reply instanceof ReplyError))];
        if (failed.length > 0) {
          throw redisError("REDIS_RESTORE_FAILED", `redis-server refused the restore of ${file}: ${(failed[0] as ReplyError).message}`, { details: { file, instance } });
        }
      });
    },

    async status(instance, context): Promise<AddonStatus> {
      checkName("instance", instance);
      const layout = redisLayout(context.home);
      const listen = `${settings.host}:${settings.port}`;
      // An instance that does not (or no longer) exist does not answer: an answer, not an error.
      if (!existsSync(instanceSecretsFile(layout, instance))) return { running: false, details: [`no Redis instance named "${instance}"`] };
      const pid = findServer(layout);
      if (pid === undefined) return { running: false, details: [`redis-server stopped (Hop3's, ${listen})`, `key prefix ${keyPrefix(instance)}`] };
      const redis = await adminConnection(layout, settings);
      try {
        const version = /redis_version:(\S+)/.exec(text(await redis.call("INFO", "server")))?.[1] ?? "unknown";
        let bytes = 0;
        let keys = 0;
        for await (const batch of scanKeys(redis, instance)) {
          const sizes = await redis.pipeline(batch.map((key) => ["MEMORY", "USAGE", key]));
          for (const size of sizes) if (typeof size === "number") bytes += size;
          keys += batch.length;
          if (keys >= STATUS_KEYS) break;
        }
        const users = await usersOf(redis, instance);
        return {
          running: true,
          bytes,
          details: [
            `redis-server ${version} on ${listen} (pid ${pid})`,
            `key prefix ${keyPrefix(instance)}, ${keys >= STATUS_KEYS ? `more than ${STATUS_KEYS} keys (size of the first ones)` : `${keys} key(s)`}`,
            `ACL users: ${users.length > 0 ? users.join(", ") : "none (not attached)"}`,
          ],
        };
      } finally {
        redis.close();
      }
    },
  };
}

function serverLock(layout: RedisLayout, purpose: string, action: () => Promise<void>): Promise<void> {
  return withLockFile(layout.lockFile, action, { purpose, timeoutMs: 60_000, busy: busy(purpose) });
}

const busy = (purpose: string) => (holder: { pid: number } | undefined) =>
  redisError("REDIS_UNAVAILABLE", `Another Hop3 process${holder ? ` (pid ${holder.pid})` : ""} kept Redis busy for a minute; not ${purpose}.`, { details: { holder: holder?.pid } });

function readSecrets(file: string, instance: string): InstanceSecrets {
  let content: string;
  try {
    content = readFileSync(file, "utf8");
  } catch {
    throw redisError("REDIS_INSTANCE_UNKNOWN", `There is no Redis instance named "${instance}".`, { details: { instance } });
  }
  const parsed = JSON.parse(content) as Partial<InstanceSecrets>;
  return { passwords: { ...parsed.passwords } };
}

const writeSecrets = (file: string, secrets: InstanceSecrets): void => writeFileAtomic(file, `${JSON.stringify(secrets, null, 2)}\n`, 0o600);

function readDumpFile(file: string): Buffer {
  try {
    if (!statSync(file).isFile()) throw new Error("not a file");
    return readFileSync(file);
  } catch (error) {
    throw redisError("REDIS_DUMP_INVALID", `${file} cannot be read as a Redis dump: ${(error as Error).message}.`, { cause: error, details: { file } });
  }
}

/** The instance's keys, a batch at a time (SCAN with the prefix as pattern: the name holds no glob character). */
async function* scanKeys(redis: RedisConnection, instance: string): AsyncGenerator<Buffer[]> {
  let cursor = "0";
  do {
    const [next, keys] = (await redis.call("SCAN", cursor, "MATCH", `${keyPrefix(instance)}*`, "COUNT", BATCH)) as [Buffer, Buffer[]];
    cursor = text(next);
    if (keys.length > 0) yield keys;
  } while (cursor !== "0");
}

async function firstKeys(redis: RedisConnection, instance: string): Promise<number> {
  for await (const keys of scanKeys(redis, instance)) return keys.length;
  return 0;
}

async function usersOf(redis: RedisConnection, instance: string): Promise<string[]> {
  return asArray(await redis.call("ACL", "USERS")).map(text).filter((user) => isUserOf(user, instance));
}

const asArray = (reply: Reply | undefined): Reply[] => (Array.isArray(reply) ? reply : []);

/**
 * Loads each payload once under a scratch key nobody else can name (instance names start with a
 * letter or digit), then drops it: a payload the server refuses (a newer RDB version, a damaged
 * value) is found before the instance's keys are touched.
 */
async function checkPayloads(redis: RedisConnection, payloads: readonly Buffer[], file: string): Promise<void> {
  const scratch = `.hop3-restore-check:${randomBytes(8).toString("hex")}:`;
  for (let i = 0; i < payloads.length; i += BATCH) {
    const batch = payloads.slice(i, i + BATCH);
    const replies = await redis.pipeline(batch.flatMap((payload, j) => [["RESTORE", `${scratch}${j}`, 0, payload, "REPLACE"], ["UNLINK", `${scratch}${j}`]]));
    const refused = replies.find((reply) => reply instanceof ReplyError) as ReplyError | undefined;
    if (refused) {
      throw redisError("REDIS_RESTORE_FAILED", `redis-server refuses a key of ${file}: ${refused.message}`, { details: { file } });
    }
  }
}
