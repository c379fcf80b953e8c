import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createCli } from "@hop3/cli";
import { createDistribution } from "@hop3/core";
import { writeAppRecord } from "../src/apps/app-record.js";
import { writeRelease } from "../src/apps/releases.js";
import { memoryIO } from "./memory-io.js";
import { stubPlugin } from "./stub-plugin.js";

describe("the limits an app runs with, in status and apps", () => {
  it("shows the live release's limits, as text and JSON", async () => {
    const home = mkdtempSync(join(tmpdir(), "hop3-limits-"));
    const limits = { memoryBytes: 512 * 1024 ** 2, cpus: 0.5, processes: 64, openFiles: 4096 };
    writeAppRecord(home, { name: "blog", source: home, appEnv: {}, userEnv: {}, scale: {}, domains: [], liveRelease: "20250101T000000Z-abcd", limits });
    writeRelease(home, {
      id: "20250101T000000Z-abcd",
      app: "blog",
      createdAt: new Date().toISOString(),
      source: home,
      builder: "test",
      deployer: "stub",
      status: "live",
      limits,
      artifact: { apiVersion: 1, kind: "generic", location: home, builder: "test", appName: "blog", buildId: "1", builtAt: new Date().toISOString(), metadata: {}, runtime: { workers: { web: "serve" }, env: {}, path: [], workingDir: home } },
    });
    const env = { HOP3_HOME: home, HOP3_PLUGINS: "", HOP3_CONFIG: join(home, "none.json") };
    const cli = createCli(async () => createDistribution({ plugins: [stubPlugin()], env }), { name: "hop3", version: "0.0.0", pluginsFrom: false });
    const run = async (...argv: string[]) => {
      const io = memoryIO(home, env);
      expect(await cli.run(argv, io), io.err()).toBe(0);
      return io.out();
    };
    expect(JSON.parse(await run("status", "blog", "--json"))).toMatchObject({ app: "blog", release: "20250101T000000Z-abcd", limits });
    expect(await run("status", "blog")).toContain("\n  limits: memory 512M, cpu 0.5 core(s), processes 64, open files 4096\n");
    expect(JSON.parse(await run("apps", "--json")).apps).toEqual([expect.objectContaining({ name: "blog", limits })]);
  });
});
