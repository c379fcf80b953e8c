/** @hop3/testing's addon kit against the real redis-server, started as Hop3 starts it. */
import { freePort } from "@hop3/test-support";
import { describeAddonConformance } from "@hop3/testing";
import { createRedisAddon } from "../src/index.js";
import { redisProbe } from "./probe.js";

describeAddonConformance("@hop3/addon-redis", {
  addon: (env) => createRedisAddon({}, env),
  probe: redisProbe,
  env: { HOP3_REDIS_PORT: String(await freePort()) },
});
