/** @hop3/testing's addon kit against the real PostgreSQL 15, started as Hop3 starts it. */
import { freePort } from "@hop3/test-support";
import { describeAddonConformance } from "@hop3/testing";
import { createPostgresAddon } from "../src/index.js";
import { postgresProbe } from "./probe.js";

describeAddonConformance("@hop3/addon-postgres", {
  addon: (env) => createPostgresAddon({}, env),
  probe: postgresProbe,
  env: { HOP3_POSTGRES_PORT: String(await freePort()) },
});
