import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createDistribution } from "@hop3/core";
import { attachmentRules, attachmentUser, createRedisAddon, DEFAULT_REDIS_PORT, keyPrefix, redisAddonPlugin, redisLayout, resolveRedisSettings } from "../src/index.js";
import { checkName, isUserOf } from "../src/acl.js";
import { caught } from "./helpers.js";

describe("redis addon options and names", () => {
  it("takes the port from the option, else HOP3_REDIS_PORT, else 6380 (clear of the system service's 6379)", () => {
    expect(resolveRedisSettings({}, {}).port).toBe(DEFAULT_REDIS_PORT);
    expect(resolveRedisSettings({}, { HOP3_REDIS_PORT: "7000" }).port).toBe(7000);
    expect(resolveRedisSettings({ port: 7001 }, { HOP3_REDIS_PORT: "7000" }).port).toBe(7001);
  });

  it("refuses a port that is not one, and a program that is neither a name nor an absolute path", async () => {
    for (const env of [{ HOP3_REDIS_PORT: "6380abc" }, { HOP3_REDIS_PORT: "0" }, { HOP3_REDIS_PORT: "70000" }]) {
      expect((await caught(() => resolveRedisSettings({}, env))).code).toBe("REDIS_OPTIONS_INVALID");
    }
    expect((await caught(() => resolveRedisSettings({ port: 1.5 }, {}))).code).toBe("REDIS_OPTIONS_INVALID");
    expect((await caught(() => resolveRedisSettings({ redisServer: "bin/redis-server" }, {}))).code).toBe("REDIS_OPTIONS_INVALID");
  });

  it("confines an attachment's user to the instance's keys and channels", () => {
    const rules = attachmentRules("cache", "p");
    expect(rules.slice(0, 5)).toEqual(["reset", "on", ">p", "~cache:*", "&cache:*"]);
    expect(rules).toEqual(expect.arrayContaining(["-@admin", "-@dangerous", "-keys", "-scan", "-select"]));
    expect(keyPrefix("cache")).toBe("cache:");
    expect(attachmentUser("cache", "blog")).toBe("cache.blog");
    expect(isUserOf("cache.blog", "cache")).toBe(true);
    expect(isUserOf("cache-2.blog", "cache")).toBe(false);
    expect(isUserOf("cache.blog.x", "cache")).toBe(false);
  });

  it("accepts DNS labels only as names", async () => {
    checkName("instance", "blog-sessions");
    for (const name of ["a b", "*", "a\nb", "x:y", "x.y", ">x", "~x", ""]) {
      expect((await caught(() => checkName("instance", name))).code).toBe("REDIS_NAME_INVALID");
    }
  });
});

describe("redis addon in a home where Redis was never used", () => {
  it("stop and the maintenance task do nothing, even where the home could not go into redis.conf", async () => {
    const home = join(mkdtempSync(join(tmpdir(), "hop3-redis-unused-")), 'with "quote"');
    try {
      expect((await caught(() => redisLayout(home))).code).toBe("REDIS_HOME_INVALID");
      const distribution = createDistribution({ plugins: [redisAddonPlugin({}, {})], env: { ...process.env, HOP3_HOME: home } });
      const context = distribution.operationContext({});
      await createRedisAddon({}, {}).stop(context);
      expect(await distribution.registry.maintenanceTasks()[0]!.run(distribution, context)).toEqual([]);
    } finally {
      rmSync(join(home, ".."), { recursive: true, force: true });
    }
  });
});
