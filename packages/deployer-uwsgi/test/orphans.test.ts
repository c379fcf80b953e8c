import { spawn } from "node:child_process";
import { chownSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "@hop3/core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { recordedSessions, sweepOrphans } from "../src/orphans.js";
import { removeTempHomes, tempHome } from "./helpers.js";

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) if (isAlive(pid)) process.kill(pid, "SIGKILL");
});

/**
 * What an abruptly killed launcher leaves: a session whose leader is gone and a child still in it.
 * Real processes: a shell started in its own session backgrounds a sleep and exits.
 */
async function orphanedSession(env: Record<string, string>): Promise<{ sid: number; orphan: number }> {
  const leader = spawn("/bin/sh", ["-c", "sleep 30 & echo $!"], { detached: true, env: { PATH: process.env.PATH!, ...env }, stdio: ["ignore", "pipe", "ignore"] });
  let output = "";
  leader.stdout.on("data", (chunk) => (output += chunk));
  await new Promise((resolve) => leader.once("exit", resolve));
  const orphan = Number(output.trim());
  leftovers.push(orphan);
  return { sid: leader.pid!, orphan };
}

// Real processes and /proc: the sweep must hit exactly what a dead instance left, nothing else.
describe("sweepOrphans", () => {
  it("stops what is left in a dead instance's session when it carries the instance's name", async () => {
    const { sid, orphan } = await orphanedSession({ HOP3_INSTANCE: "blog_web.1" });
    expect(isAlive(orphan)).toBe(true);
    expect(await sweepOrphans([{ sid, instance: "blog_web.1", trusted: true }], undefined)).toEqual([orphan]);
    expect(isAlive(orphan)).toBe(false);
  });

  it("signals what a session read from an app-written pid file left only when it is the app user's", async () => {
    const { sid, orphan } = await orphanedSession({ HOP3_INSTANCE: "blog_web.1" });
    const someoneElse = { name: "nobody", uid: 65534, gid: 65534, home: "/nonexistent", dedicated: true };
    expect(await sweepOrphans([{ sid, instance: "blog_web.1", trusted: false }], someoneElse)).toEqual([]);
    expect(await sweepOrphans([{ sid, instance: "blog_web.1", trusted: false }], undefined)).toEqual([]);
    expect(isAlive(orphan)).toBe(true);
    const owner = { name: "owner", uid: process.getuid!(), gid: process.getgid!(), home: "/nonexistent", dedicated: false };
    expect(await sweepOrphans([{ sid, instance: "blog_web.1", trusted: false }], owner)).toEqual([orphan]);
    expect(isAlive(orphan)).toBe(false);
  });

  it("leaves alone a process of that session that carries another name, or none (a reused pid)", async () => {
    const others: Array<Record<string, string>> = [{}, { HOP3_INSTANCE: "blog_web.2" }, { HOP3_INSTANCE: "blog2_web.1" }];
    for (const env of others) {
      const { sid, orphan } = await orphanedSession(env);
      expect(await sweepOrphans([{ sid, instance: "blog_web.1", trusted: true }], undefined)).toEqual([]);
      expect(isAlive(orphan)).toBe(true);
    }
  });

  it("does nothing for a session whose leader still runs", async () => {
    expect(await sweepOrphans([{ sid: process.pid, instance: "blog_web.1", trusted: true }], undefined)).toEqual([]);
  });
});

describe("recordedSessions", () => {
  it("reads the pid files of an app's run directory as instance sessions, trusted when root wrote them", () => {
    const dir = join(tempHome(), "run");
    mkdirSync(dir);
    writeFileSync(join(dir, "web.1.pid"), "1234\n");
    writeFileSync(join(dir, "worker_x.2.pid"), "99\n");
    writeFileSync(join(dir, "web.2.pid"), "");
    writeFileSync(join(dir, "web.1.sh"), "#!/bin/sh\n");
    chownSync(join(dir, "worker_x.2.pid"), 65534, 65534); // as an app's own pid file is
    expect(recordedSessions(dir, "blog").sort((a, b) => a.sid - b.sid)).toEqual([
      { sid: 99, instance: "blog_worker_x.2", trusted: false },
      { sid: 1234, instance: "blog_web.1", trusted: true },
    ]);
    expect(recordedSessions(join(dir, "missing"), "blog")).toEqual([]);
  });
});

afterAll(removeTempHomes);
