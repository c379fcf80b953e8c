import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lookupUser, rotatedFiles, userPrefix, webUserName } from "@hop3/core";
import { waitFor } from "@hop3/test-support";
import { createNginxRouter } from "../src/index.js";
import { freePort, httpGet, makeDir, mastersOf, operationContext, removeMadeDirs, tempHome } from "./helpers.js";

const MAX_BYTES = 2048;
const KEEP = 2;

// Hop3's schedule calls maintain every minute: nginx's logs stay within size, and nginx keeps logging.
describe("nginx router: log rotation (maintain)", { timeout: 30_000 }, () => {
  const home = tempHome();
  const configFile = join(home, "config.json");
  const context = { ...operationContext(home), env: { ...process.env, HOP3_CONFIG: configFile } };
  const logs = join(home, "nginx", "logs");
  const accessLog = join(logs, "access.log");
  const errorLog = join(logs, "error.log");
  let port: number;
  let router: ReturnType<typeof createNginxRouter>;

  const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "");
  /** Requests until the access log is past the size, each path marked so its line can be found. */
  const fillAccessLog = async (mark: string) => {
    for (let i = 0; statSync(accessLog).size <= MAX_BYTES; i++) {
      await httpGet(port, "site.localhost", `/${mark}-${i}`);
      // nginx writes the line once the response is sent: wait for it before measuring again.
      await waitFor(() => read(accessLog).includes(`/${mark}-${i} `), 5_000, `the line of /${mark}-${i}`);
    }
  };

  beforeAll(async () => {
    writeFileSync(configFile, JSON.stringify({ logs: { maxSize: MAX_BYTES, keep: KEEP } }));
    port = await freePort();
    router = createNginxRouter({ httpPort: port }, {});
    const dir = makeDir({ "index.html": "site\n" });
    symlinkSync("/etc/passwd", join(dir, "pw"));
    await router.apply({ app: "site", hosts: ["site.localhost"], upstreams: [], staticDir: dir }, context);
  });

  afterAll(async () => {
    await router.stop(context);
    expect(mastersOf(home)).toEqual([]);
    const web = webUserName(userPrefix({ home, env: process.env }));
    spawnSync("userdel", [web], { stdio: "ignore" });
    rmSync(home, { recursive: true, force: true });
    removeMadeDirs();
  });

  it("does nothing while the logs are within the size", async () => {
    await httpGet(port, "site.localhost", "/small");
    expect(await router.maintain!(context)).toEqual([]);
    expect(rotatedFiles(accessLog)).toEqual([]);
  });

  it("rotates the access log past its size, and nginx writes the next request's line to a new file", async () => {
    await fillAccessLog("before");
    const lines = await router.maintain!(context);
    expect(lines).toEqual([`Rotated ${accessLog} to ${accessLog}.1: it was over 2K.`, expect.stringMatching(/^nginx \(pid \d+\) reopened its logs\.$/)]);
    expect(read(`${accessLog}.1`)).toContain("/before-0 ");
    await httpGet(port, "site.localhost", "/after-rotation");
    await waitFor(() => read(accessLog).includes("/after-rotation "), 5_000, "the next request's line in the new access.log");
    expect(read(`${accessLog}.1`)).not.toContain("/after-rotation");
    expect(read(accessLog)).not.toContain("/before-0 ");
    // The master gave the new file to the workers' user, which reopened it: they can write to it.
    expect(statSync(accessLog).uid).toBe(lookupUser(webUserName(userPrefix({ home, env: process.env })))!.uid);
  });

  it("rotates the error log the same way", async () => {
    appendFileSync(errorLog, `${"x".repeat(MAX_BYTES)}\n`);
    const lines = await router.maintain!(context);
    expect(lines[0]).toBe(`Rotated ${errorLog} to ${errorLog}.1: it was over 2K.`);
    expect(lines.at(-1)).toMatch(/reopened its logs/);
    // A request for a link makes nginx log an error: it must land in the new file.
    await httpGet(port, "site.localhost", "/pw");
    await waitFor(() => read(errorLog).includes('"/pw"') || read(errorLog).includes("/pw\""), 5_000, "nginx's error line in the new error.log");
    expect(read(`${errorLog}.1`)).toContain("x".repeat(100));
  });

  it("keeps at most the configured number of rotated files, however often it rotates", async () => {
    for (let round = 0; round < KEEP + 2; round++) {
      await fillAccessLog(`round${round}`);
      expect((await router.maintain!(context)).length).toBeGreaterThan(0);
      expect(rotatedFiles(accessLog).length).toBeLessThanOrEqual(KEEP);
    }
    expect(rotatedFiles(accessLog)).toEqual([`${accessLog}.1`, `${accessLog}.2`]);
    // The newest rotated file holds the last round, the oldest the round before it.
    expect(read(`${accessLog}.1`)).toContain(`/round${KEEP + 1}-0 `);
    expect(read(`${accessLog}.2`)).toContain(`/round${KEEP}-0 `);
  });

  it("rotates without signalling anyone when nginx is stopped; the next nginx writes to a new file", async () => {
    await fillAccessLog("stopped");
    await router.stop(context);
    const lines = await router.maintain!(context);
    expect(lines).toEqual([`Rotated ${accessLog} to ${accessLog}.1: it was over 2K.`]);
    expect(existsSync(accessLog)).toBe(false);
    await router.ensureRunning(context);
    await httpGet(port, "site.localhost", "/restarted");
    await waitFor(() => read(accessLog).includes("/restarted "), 5_000, "the line of /restarted");
  });
});
