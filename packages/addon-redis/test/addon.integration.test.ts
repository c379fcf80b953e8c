import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandLine, createDistribution, isPortFree, Registry } from "@hop3/core";
import { createRedisAddon, DUMP_FORMAT, redisAddonPlugin, redisLayout } from "../src/index.js";
import { DumpWriter } from "../src/dump.js";
import { findServer } from "../src/server.js";
import { connectRedis } from "../src/resp.js";
import { redisProbe } from "./probe.js";
import { caught, cliAsNobody, freePort, operationContext, processesUnder, tempHome, waitFor } from "./helpers.js";

// The addon against Debian's real redis-server, started the way Hop3 starts it, in a fresh HOP3_HOME.
describe("redis addon", { timeout: 60_000 }, () => {
  const home = tempHome();
  const context = operationContext(home);
  let port = 0;
  let addon: ReturnType<typeof createRedisAddon>;

  beforeAll(async () => {
    port = await freePort();
    addon = createRedisAddon({ port }, {});
    await addon.ensureRunning(context);
  });

  afterAll(async () => {
    await addon.stop(context);
    expect(processesUnder(home)).toEqual([]);
    rmSync(home, { recursive: true, force: true });
  });

  it("registers as the redis addon", () => {
    const registry = new Registry();
    redisAddonPlugin({ port }, {}).register(registry);
    expect(registry.addons().map((a) => a.name)).toEqual(["redis"]);
  });

  it("runs one server, as its own unprivileged user, on loopback, with the default user off and the admin password root's alone", async () => {
    const layout = redisLayout(home);
    const pid = findServer(layout)!;
    expect(pid).toBeDefined();
    await addon.ensureRunning(context);
    expect(findServer(layout)).toBe(pid);
    expect(statSync(`/proc/${pid}`).uid).not.toBe(0);
    expect(commandLine(pid).join(" ")).toContain(`127.0.0.1:${port}`);
    const conf = readFileSync(layout.conf, "utf8");
    expect(conf).toMatch(/^protected-mode yes$/m);
    expect(conf).toMatch(/^bind 127\.0\.0\.1$/m);
    const secret = statSync(layout.adminPasswordFile);
    expect([secret.uid, secret.mode & 0o777]).toEqual([0, 0o600]);
    expect(statSync(layout.secrets).mode & 0o777).toBe(0o700);
    // No password: the default user is off, so nothing is allowed.
    const anonymous = cliAsNobody(`redis://127.0.0.1:${port}`, "GET", "x");
    expect(anonymous.out).toMatch(/NOAUTH/);
    expect(readFileSync(layout.aclFile, "utf8")).not.toContain(readFileSync(layout.adminPasswordFile, "utf8").trim());
  });

  it("attach gives a REDIS_URL an unprivileged user can use, within the instance's prefix only", async () => {
    await addon.create("cache", context);
    const env = await addon.attach("cache", "blog", context);
    expect(env.REDIS_PREFIX).toBe("cache:");
    expect(env.REDIS_URL).toMatch(new RegExp(`^redis://cache\\.blog:[0-9a-f]{64}@127\\.0\\.0\\.1:${port}/0$`));
    expect(await addon.attach("cache", "blog", context)).toEqual(env); // same answer on each deploy
    expect(cliAsNobody(env.REDIS_URL!, "SET", "cache:greeting", "hello").out).toBe("OK");
    expect(cliAsNobody(env.REDIS_URL!, "GET", "cache:greeting").out).toBe("hello");
    expect(cliAsNobody(env.REDIS_URL!, "SET", "greeting", "outside").out).toMatch(/NOPERM/);
  });

  it("two instances cannot read or write each other's keys, nor list them", async () => {
    await addon.create("one", context);
    await addon.create("two", context);
    const one = (await addon.attach("one", "app1", context)).REDIS_URL!;
    const two = (await addon.attach("two", "app2", context)).REDIS_URL!;
    expect(cliAsNobody(one, "SET", "one:secret", "s1").out).toBe("OK");
    expect(cliAsNobody(two, "GET", "one:secret").out).toMatch(/NOPERM/);
    expect(cliAsNobody(two, "SET", "one:secret", "overwritten").out).toMatch(/NOPERM/);
    expect(cliAsNobody(two, "KEYS", "*").out).toMatch(/NOPERM/);
    expect(cliAsNobody(two, "SCAN", "0").out).toMatch(/NOPERM/);
    expect(cliAsNobody(two, "RANDOMKEY").out).toMatch(/NOPERM/);
    expect(cliAsNobody(one, "GET", "one:secret").out).toBe("s1");
    // The probe the conformance kit takes: another instance's key is refused through it too.
    const [envOne, envTwo] = [await addon.attach("one", "app1", context), await addon.attach("two", "app2", context)];
    expect(await redisProbe.read(envOne, "secret")).toBe("s1");
    expect((await caught(() => redisProbe.readOther(envTwo, envOne, "secret"))).message).toMatch(/NOPERM/);
  });

  it("an app user cannot run CONFIG, FLUSHALL, FLUSHDB, ACL, DEBUG, SHUTDOWN, SELECT, CLIENT LIST or CLIENT TRACKING (which would report others' key names)", async () => {
    await addon.create("locked", context);
    const url = (await addon.attach("locked", "app", context)).REDIS_URL!;
    for (const command of [["CONFIG", "GET", "*"], ["CONFIG", "SET", "dir", "/tmp"], ["FLUSHALL"], ["FLUSHDB"], ["ACL", "LIST"], ["ACL", "SETUSER", "x", "on", ">x", "~*", "+@all"], ["ACL", "WHOAMI"], ["DEBUG", "SLEEP", "0"], ["SHUTDOWN"], ["SELECT", "1"], ["CLIENT", "LIST"], ["MODULE", "LIST"], ["PUBSUB", "CHANNELS"], ["CLIENT", "TRACKING", "ON", "BCAST"]]) {
      expect(cliAsNobody(url, ...command).out, command.join(" ")).toMatch(/NOPERM|ERR/);
    }
    expect(findServer(redisLayout(home))).toBeDefined();
    // Channels are confined like keys.
    expect(cliAsNobody(url, "PUBLISH", "locked:news", "hi").out).toBe("0");
    expect(cliAsNobody(url, "PUBLISH", "cache:news", "hi").out).toMatch(/NOPERM/);
  });

  it("detach cuts the app's access at once, open connections included; another app of the instance keeps its own", async () => {
    await addon.create("shared", context);
    const first = (await addon.attach("shared", "first", context)).REDIS_URL!;
    const second = (await addon.attach("shared", "second", context)).REDIS_URL!;
    const [user, password] = decodeURIComponent(new URL(first).username + ":" + new URL(first).password).split(":");
    const open = await connectRedis({ host: "127.0.0.1", port, user: user!, password: password! });
    expect(await open.call("SET", "shared:k", "v")).toBe("OK");
    await addon.detach("shared", "first", context);
    expect(cliAsNobody(first, "GET", "shared:k").out).toMatch(/WRONGPASS|invalid username-password/);
    expect((await caught(() => open.call("GET", "shared:k"))).message).toMatch(/closed/);
    open.close();
    expect(cliAsNobody(second, "GET", "shared:k").out).toBe("v");
    // Attached again, it gets a new password: the old URL stays dead.
    const again = (await addon.attach("shared", "first", context)).REDIS_URL!;
    expect(again).not.toBe(first);
    expect(cliAsNobody(again, "GET", "shared:k").out).toBe("v");
  });

  it("backup then restore brings back the instance's keys and expiries, and only them", async () => {
    await addon.create("data", context);
    await addon.create("neighbour", context);
    const url = (await addon.attach("data", "app", context)).REDIS_URL!;
    const neighbour = (await addon.attach("neighbour", "app", context)).REDIS_URL!;
    cliAsNobody(url, "SET", "data:plain", "value with spaces\nand a newline");
    cliAsNobody(url, "HSET", "data:hash", "f1", "v1", "f2", "v2");
    cliAsNobody(url, "RPUSH", "data:list", "a", "b", "c");
    cliAsNobody(url, "SET", "data:session", "s", "EX", "3600");
    cliAsNobody(neighbour, "SET", "neighbour:mine", "untouched");
    const file = join(home, "data.dump");
    const dump = await addon.backup("data", file, context);
    expect(dump).toEqual({ format: DUMP_FORMAT, bytes: statSync(file).size });
    expect(statSync(file).mode & 0o777).toBe(0o600);

    cliAsNobody(url, "SET", "data:plain", "changed");
    cliAsNobody(url, "DEL", "data:hash");
    cliAsNobody(url, "SET", "data:added-later", "x");
    await addon.restore("data", file, context);

    expect(cliAsNobody(url, "GET", "data:plain").out).toBe("value with spaces\nand a newline");
    expect(cliAsNobody(url, "HGET", "data:hash", "f2").out).toBe("v2");
    expect(cliAsNobody(url, "LRANGE", "data:list", "0", "-1").out).toBe("a\nb\nc");
    expect(cliAsNobody(url, "EXISTS", "data:added-later").out).toBe("0");
    const ttl = Number(cliAsNobody(url, "TTL", "data:session").out);
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
    expect(cliAsNobody(url, "TTL", "data:plain").out).toBe("-1");
    expect(cliAsNobody(neighbour, "GET", "neighbour:mine").out).toBe("untouched");
    const status = await addon.status("data", context);
    expect(status.running).toBe(true);
    expect(status.bytes).toBeGreaterThan(0);
    expect(status.details.join("\n")).toContain("4 key(s)");
    expect(status.details.join("\n")).not.toMatch(/[0-9a-f]{64}/);
  });

  it("a truncated, damaged or foreign dump is refused before anything changes", async () => {
    await addon.create("safe", context);
    const url = (await addon.attach("safe", "app", context)).REDIS_URL!;
    cliAsNobody(url, "SET", "safe:a", "1");
    cliAsNobody(url, "SET", "safe:b", "2");
    const file = join(home, "safe.dump");
    await addon.backup("safe", file, context);
    const whole = readFileSync(file);
    cliAsNobody(url, "SET", "safe:a", "current");
    cliAsNobody(url, "SET", "safe:c", "3");

    const truncated = join(home, "truncated.dump");
    writeFileSync(truncated, whole.subarray(0, whole.length - 10));
    const damaged = join(home, "damaged.dump");
    const flipped = Buffer.from(whole);
    flipped[Math.floor(flipped.length / 2)]! ^= 0xff;
    writeFileSync(damaged, flipped);
    const foreign = join(home, "foreign.dump");
    writeFileSync(foreign, "REDIS0011 not ours");
    for (const bad of [truncated, damaged, foreign, join(home, "missing.dump")]) {
      expect((await caught(() => addon.restore("safe", bad, context))).code, bad).toBe("REDIS_DUMP_INVALID");
    }
    // Whole and checksummed, but with a value the server refuses: nothing changes either.
    const refused = join(home, "refused.dump");
    const writer = new DumpWriter(refused);
    writer.add({ key: Buffer.from("a"), expireAt: -1, payload: whole.subarray(30, 60) });
    writer.finish();
    expect((await caught(() => addon.restore("safe", refused, context))).code).toBe("REDIS_RESTORE_FAILED");

    expect(cliAsNobody(url, "MGET", "safe:a", "safe:b", "safe:c").out).toBe("current\n2\n3");
  });

  it("destroy leaves no key and no user of the instance; the name can be used again", async () => {
    await addon.create("gone", context);
    const url = (await addon.attach("gone", "app", context)).REDIS_URL!;
    const other = (await addon.attach("gone", "other", context)).REDIS_URL!;
    for (let i = 0; i < 2_500; i += 500) {
      cliAsNobody(url, "MSET", ...Array.from({ length: 500 }, (_, j) => [`gone:k${i + j}`, "v"]).flat());
    }
    await addon.destroy("gone", context);
    const admin = await adminFor(home, port);
    expect((await admin.call("ACL", "USERS")) as Buffer[]).not.toContainEqual(Buffer.from("gone.app"));
    expect(((await admin.call("SCAN", "0", "MATCH", "gone:*", "COUNT", "100000")) as [Buffer, Buffer[]])[1]).toEqual([]);
    admin.close();
    expect(cliAsNobody(url, "GET", "gone:k1").out).toMatch(/WRONGPASS|invalid username-password/);
    expect(cliAsNobody(other, "GET", "gone:k1").out).toMatch(/WRONGPASS|invalid username-password/);
    expect((await caught(() => addon.attach("gone", "app", context))).code).toBe("REDIS_INSTANCE_UNKNOWN");
    expect(await addon.status("gone", context)).toEqual({ running: false, details: ['no Redis instance named "gone"'] });
    await addon.create("gone", context);
    expect((await caught(() => addon.create("gone", context))).code).toBe("REDIS_INSTANCE_EXISTS");
  });

  it("refuses instance and app names that could reach ACL syntax, a key pattern or a path", async () => {
    const hostile = ["with space", "*", "a*", "new\nline", "x on >pw ~* +@all", "cache:x", "a.b", "../etc", "", "UPPER", "-dash", "a".repeat(64), "~*", "&*", "a>b"];
    for (const name of hostile) {
      expect((await caught(() => addon.create(name, context))).code, JSON.stringify(name)).toBe("REDIS_NAME_INVALID");
      expect((await caught(() => addon.attach("cache", name, context))).code, JSON.stringify(name)).toBe("REDIS_NAME_INVALID");
      expect((await caught(() => addon.destroy(name, context))).code, JSON.stringify(name)).toBe("REDIS_NAME_INVALID");
    }
  });

  it("stop stops the server and start brings back its keys and users", async () => {
    await addon.create("durable", context);
    const url = (await addon.attach("durable", "app", context)).REDIS_URL!;
    cliAsNobody(url, "SET", "durable:k", "kept");
    await addon.stop(context);
    expect(findServer(redisLayout(home))).toBeUndefined();
    expect(processesUnder(home)).toEqual([]);
    expect((await addon.status("durable", context)).running).toBe(false);
    await addon.stop(context); // stopping again does nothing
    await addon.ensureRunning(context);
    expect(cliAsNobody(url, "GET", "durable:k").out).toBe("kept");
  });

  it("a server started on another port (HOP3_REDIS_PORT changed) is started again on the new one", async () => {
    const before = findServer(redisLayout(home))!;
    const otherPort = await freePort();
    const moved = createRedisAddon({ port: otherPort }, {});
    await moved.ensureRunning(context);
    const after = findServer(redisLayout(home))!;
    expect(after).not.toBe(before);
    expect(commandLine(after).join(" ")).toContain(`127.0.0.1:${otherPort}`);
    await addon.ensureRunning(context); // and back
    expect(commandLine(findServer(redisLayout(home))!).join(" ")).toContain(`127.0.0.1:${port}`);
    expect(cliAsNobody((await addon.attach("durable", "app", context)).REDIS_URL!, "GET", "durable:k").out).toBe("kept");
  });

  it("the maintenance task starts the server again when it stopped while instances exist", async () => {
    const distribution = createDistribution({ plugins: [redisAddonPlugin({ port }, {})], env: { ...process.env, HOP3_HOME: home } });
    const [task] = distribution.registry.maintenanceTasks();
    expect(await task!.run(distribution, context)).toEqual([]);
    const pid = findServer(redisLayout(home))!;
    process.kill(pid, "SIGKILL"); // a crash
    await waitFor(() => findServer(redisLayout(home)) === undefined || undefined);
    // A crash is over once its port is free too: a loaded machine may let the process's listening
    // socket (or a save child's) outlive it by a moment, and a start then is refused as a port in use.
    await waitFor(async () => (await isPortFree("127.0.0.1", port)) || undefined, 10_000, "the killed server's port to be free");
    expect((await task!.run(distribution, context))[0]).toMatch(/^redis-server was not running: started \(pid \d+\)$/);
    expect(findServer(redisLayout(home))).not.toBe(pid);
    expect(cliAsNobody((await addon.attach("durable", "app", context)).REDIS_URL!, "GET", "durable:k").out).toBe("kept");
  });
});

async function adminFor(home: string, port: number) {
  const password = readFileSync(redisLayout(home).adminPasswordFile, "utf8").trim();
  return connectRedis({ host: "127.0.0.1", port, user: "hop3_admin", password });
}
