import { fork, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Hop3Error, processStat, tryLockFile, withLockFile, type LockHolder } from "@hop3/core";

const REPO = join(import.meta.dirname, "..", "..", "..");
const TSX = join(REPO, "node_modules", "tsx", "dist", "loader.mjs");
const RACER = join(import.meta.dirname, "fixtures", "lock-racer.ts");

interface Racer {
  readonly child: ChildProcess;
  ask(message: object): Promise<{ won?: boolean; holder?: number | null; wins?: number; stolen?: number }>;
}

function startRacer(): Promise<Racer> {
  const child = fork(RACER, [], { execArgv: ["--import", TSX], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ask = (message: object) =>
    new Promise<{ won?: boolean; holder?: number | null; wins?: number; stolen?: number }>((resolve) => {
      child.once("message", resolve);
      child.send(message);
    });
  return new Promise((resolve, reject) => {
    child.once("message", () => resolve({ child, ask }));
    child.once("error", reject);
  });
}

/** A lock file as a process that died left it: its real pid and start time. */
async function lockOfDeadProcess(path: string): Promise<LockHolder> {
  const child = spawn("sleep", ["60"]);
  await new Promise((resolve) => child.once("spawn", resolve));
  const holder = { pid: child.pid!, startTime: processStat(child.pid!)!.startTime, purpose: "deploy", since: new Date().toISOString() };
  child.kill("SIGKILL");
  await new Promise((resolve) => child.once("exit", resolve));
  writeFileSync(path, JSON.stringify(holder));
  return holder;
}

const dir = () => mkdtempSync(join(tmpdir(), "hop3-lock-file-"));
const busy = (holder: LockHolder | undefined) => new Error(`busy: ${holder?.pid}`);

describe("tryLockFile between real processes", () => {
  const racers: Racer[] = [];
  beforeAll(async () => {
    racers.push(...(await Promise.all(Array.from({ length: 8 }, startRacer))));
  }, 60_000);
  afterAll(() => {
    for (const racer of racers) racer.child.kill();
  });

  const race = (path: string) => {
    const go = Date.now() + 300;
    return Promise.all(racers.map((racer) => racer.ask({ go, path })));
  };

  it("lets exactly one of 8 processes take over a stale lock, round after round", async () => {
    const home = dir();
    const path = join(home, "lock");
    const stale: Array<(path: string) => unknown> = [
      lockOfDeadProcess,
      // The pid of a live process that is not the holder: the pid was reused.
      (path) => writeFileSync(path, JSON.stringify({ pid: process.pid, startTime: processStat(process.pid)!.startTime - 1, purpose: "deploy", since: "then" })),
      // Older Hop3 versions wrote no start time.
      (path) => writeFileSync(path, JSON.stringify({ pid: 2 ** 22 + 12345, command: "deploy", since: "then" })),
      (path) => writeFileSync(path, "4199999\n"),
      lockOfDeadProcess,
    ];
    for (const makeStale of stale) {
      await makeStale(path);
      const results = await race(path);
      const winners = results.flatMap((result, i) => (result.won ? [racers[i]!.child.pid] : []));
      expect(winners).toHaveLength(1);
      expect(JSON.parse(readFileSync(path, "utf8")).pid).toBe(winners[0]);
      for (const result of results) if (!result.won) expect([winners[0], null]).toContain(result.holder);
      expect(readdirSync(home)).toEqual(["lock"]); // no breaker or draft left behind
      await Promise.all(racers.map((racer) => racer.ask({ release: true })));
      expect(readdirSync(home)).toEqual([]);
    }
  }, 60_000);

  it("never lets two processes hold it, through takeover after takeover from dead holders", async () => {
    const home = dir();
    const path = join(home, "lock");
    const until = Date.now() + 3_000;
    const results = await Promise.all(racers.map((racer) => racer.ask({ storm: path, until })));
    const wins = results.reduce((sum, result) => sum + result.wins!, 0);
    expect(results.map((result) => result.stolen)).toEqual(racers.map(() => 0));
    expect(wins).toBeGreaterThan(10); // the storm did happen (how many depends on the machine's load)
    expect(readdirSync(home)).toEqual(["lock"]);
  }, 60_000);

  it("never takes a live holder's lock, and takes it once the holder is killed", async () => {
    const home = dir();
    const path = join(home, "lock");
    const [holder, ...others] = racers;
    expect(await holder!.ask({ go: 0, path })).toEqual({ won: true });
    for (let round = 0; round < 3; round++) {
      const go = Date.now() + 200;
      const results = await Promise.all(others.map((racer) => racer.ask({ go, path })));
      expect(results.every((result) => !result.won && result.holder === holder!.child.pid)).toBe(true);
    }
    expect(tryLockFile(path, "test")).toEqual({ holder: expect.objectContaining({ pid: holder!.child.pid, purpose: `racer ${holder!.child.pid}` }) });
    const started = Date.now();
    await expect(withLockFile(path, async () => "ran", { purpose: "test", timeoutMs: 400, busy })).rejects.toThrow(`busy: ${holder!.child.pid}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);

    holder!.child.kill("SIGKILL");
    await new Promise((resolve) => holder!.child.once("exit", resolve));
    racers.shift();
    await expect(withLockFile(path, async () => readFileSync(path, "utf8"), { purpose: "after the crash", busy })).resolves.toContain(`"pid":${process.pid}`);
    expect(readdirSync(home)).toEqual([]);
  }, 60_000);
});

describe("tryLockFile", () => {
  it("clears a breaker left by a process that died in the middle of a takeover", async () => {
    const home = dir();
    const path = join(home, "lock");
    const dead = await lockOfDeadProcess(path);
    const deadBreaker = await lockOfDeadProcess(`${path}.break.${dead.pid}-${dead.startTime}`);
    const attempt = tryLockFile(path, "deploy");
    expect("release" in attempt).toBe(true);
    expect(readdirSync(home)).toEqual(["lock"]);
    expect(deadBreaker.pid).not.toBe(process.pid);
    if ("release" in attempt) attempt.release();
    expect(readdirSync(home)).toEqual([]);
  });

  it("takes over a lock with no readable holder, and never an older Hop3's lock whose pid lives", () => {
    const path = join(dir(), "lock");
    writeFileSync(path, "");
    const taken = tryLockFile(path, "deploy");
    expect("release" in taken).toBe(true);
    if ("release" in taken) taken.release();
    writeFileSync(path, JSON.stringify({ pid: process.pid, command: "deploy", since: "then" }));
    expect(tryLockFile(path, "restart")).toEqual({ holder: { pid: process.pid, purpose: "deploy", since: "then" } });
  });

  it("does not take a lock of its own process twice, and a second release frees nothing", () => {
    const path = join(dir(), "lock");
    const first = tryLockFile(path, "deploy");
    expect(tryLockFile(path, "restart")).toEqual({ holder: expect.objectContaining({ pid: process.pid, purpose: "deploy" }) });
    if (!("release" in first)) throw new Error("not taken");
    first.release();
    const second = tryLockFile(path, "restart");
    first.release();
    expect(tryLockFile(path, "stop")).toEqual({ holder: expect.objectContaining({ purpose: "restart" }) });
    if ("release" in second) second.release();
  });
});

describe("withLockFile", () => {
  it("runs one process's operations on a lock in turn", async () => {
    const path = join(dir(), "lock");
    const order: string[] = [];
    const step = (name: string) => withLockFile(path, async () => {
      order.push(`${name} in`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push(`${name} out`);
    }, { purpose: name, busy });
    await Promise.all([step("a"), step("b"), step("c")]);
    expect(order).toEqual(["a in", "a out", "b in", "b out", "c in", "c out"]);
  });

  it("ends a cancelled wait with COMMAND_CANCELLED, or the caller's error", async () => {
    const path = join(dir(), "lock");
    const held = tryLockFile(path, "deploy");
    const controller = new AbortController();
    const waiting = withLockFile(path, async () => "ran", { purpose: "test", busy, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error = await waiting.catch((caught: unknown) => caught);
    expect(Hop3Error.is(error) && error.code).toBe("COMMAND_CANCELLED");
    const cancelled = () => new Error("mine");
    await expect(withLockFile(path, async () => "ran", { purpose: "test", busy, signal: controller.signal, cancelled })).rejects.toThrow("mine");
    if ("release" in held) held.release();
  });
});
