import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createCli } from "@hop3/cli";
import { createDistribution } from "@hop3/core";
import { LIVE_RELEASE, writeLiveApp } from "./live-app.js";
import { memoryIO } from "./memory-io.js";
import { stubPlugin } from "./stub-plugin.js";

describe("the limits an app runs with, in status and apps", () => {
  it("shows the live release's limits, as text and JSON", async () => {
    const limits = { memoryBytes: 512 * 1024 ** 2, cpus: 0.5, processes: 64, openFiles: 4096 };
    const home = writeLiveApp("hop3-limits-", limits);
    const env = { HOP3_HOME: home, HOP3_PLUGINS: "", HOP3_CONFIG: join(home, "none.json") };
    const cli = createCli(async () => createDistribution({ plugins: [stubPlugin()], env }), { name: "hop3", version: "0.0.0", pluginsFrom: false });
    const run = async (...argv: string[]) => {
      const io = memoryIO(home, env);
      expect(await cli.run(argv, io), io.err()).toBe(0);
      return io.out();
    };
    expect(JSON.parse(await run("status", "blog", "--json"))).toMatchObject({ app: "blog", release: LIVE_RELEASE, limits });
    expect(await run("status", "blog")).toContain("\n  limits: memory 512M, cpu 0.5 core(s), processes 64, open files 4096\n");
    expect(JSON.parse(await run("apps", "--json")).apps).toEqual([expect.objectContaining({ name: "blog", limits })]);
  });
});
