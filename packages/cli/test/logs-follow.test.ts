import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createCli } from "@hop3/cli";
import { createDistribution, rotateInPlace } from "@hop3/core";
import { writeLiveApp } from "./live-app.js";
import { stubPlugin } from "./stub-plugin.js";

const waitFor = async (done: () => boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
};

describe("hop3 logs --follow", () => {
  it("keeps following a worker's log rotated in place, and loses no line across the rotation", async () => {
    const home = writeLiveApp("hop3-logs-");
    const log = join(home, "web.1.log");
    writeFileSync(log, "started\n");
    const env = { HOP3_HOME: home, HOP3_PLUGINS: "", HOP3_CONFIG: join(home, "none.json") };
    const cli = createCli(async () => createDistribution({ plugins: [stubPlugin({ logFiles: [{ worker: "web", instance: 1, path: log }] })], env }), { name: "hop3", version: "0.0.0", pluginsFrom: false });
    const controller = new AbortController();
    let out = "";
    const running = cli.run(["logs", "blog", "--follow", "--lines", "1"], { stdout: { write: (text: string) => (out += text) }, stderr: { write: () => true }, env, cwd: home, signal: controller.signal });

    await waitFor(() => out.includes("started"), 5_000);
    appendFileSync(log, "before the rotation\n");
    await waitFor(() => out.includes("before the rotation"), 5_000);
    // Written and rotated within one poll: the lines are in web.1.log.1 only when the follower looks.
    appendFileSync(log, "written just before\n");
    expect(rotateInPlace(log, { maxBytes: 30, keep: 1 })).toBe(true);
    appendFileSync(log, "after the rotation\n");
    await waitFor(() => out.includes("after the rotation"), 5_000);
    appendFileSync(log, "and more\n");
    await waitFor(() => out.includes("and more"), 5_000);
    controller.abort();
    expect(await running).toBe(0);
    expect(out).toBe(["started", "before the rotation", "written just before", "after the rotation", "and more"].map((line) => `web.1 | ${line}\n`).join(""));
  });
});
