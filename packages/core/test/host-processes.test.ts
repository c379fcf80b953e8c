import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { childrenOf, commandLine, Hop3Error, isAlive, livePids, openTcpConnections, processStat, readPid, sleep, socketInodesOf, tcpSockets, waitUntil } from "@hop3/core";

describe("process liveness", () => {
  it("tells a live process from a zombie, a dead one and a reused pid", async () => {
    const self = processStat(process.pid)!;
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(process.pid, self.startTime)).toBe(true);
    expect(isAlive(process.pid, self.startTime + 1)).toBe(false); // the pid names another process now
    expect(isAlive(0)).toBe(false);

    // Nobody reaps this child until it is waited for: a zombie.
    const child = spawn("sh", ["-c", "exit 0"], { stdio: "ignore" });
    const pid = child.pid!;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    expect(await waitUntil(() => processStat(pid)?.state === "Z" || !isAlive(pid), { timeoutMs: 5_000 })).toBe(true);
    expect(isAlive(pid)).toBe(false);
    await exited;
  });

  it("reads command lines, children and every live pid", async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    await new Promise((resolve) => child.once("spawn", resolve));
    try {
      expect(commandLine(child.pid!)).toEqual(["sleep", "30"]);
      expect(childrenOf(process.pid)).toContain(child.pid);
      expect(livePids()).toContain(child.pid);
      expect(processStat(child.pid!)).toMatchObject({ ppid: process.pid });
    } finally {
      child.kill("SIGKILL");
    }
    expect(commandLine(2 ** 22 + 12345)).toEqual([]);
  });

  it("reads a pid file, refusing what is not a pid of a process", () => {
    const dir = mkdtempSync(join(tmpdir(), "hop3-pid-"));
    const file = (text: string) => {
      writeFileSync(join(dir, "pid"), text);
      return readPid(join(dir, "pid"));
    };
    expect(file("1234\n")).toBe(1234);
    for (const text of ["", "1", "-1", "0", "12ab", "1.5"]) expect(file(text)).toBeUndefined();
    expect(readPid(join(dir, "none"))).toBeUndefined();
  });
});

describe("tcpSockets", () => {
  it("lists a listening socket and its connections, with the inode its process holds", async () => {
    const server = createServer((socket) => socket.on("error", () => undefined));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const listening = tcpSockets().find((socket) => socket.localPort === port && socket.state === "listen");
      expect(listening).toBeDefined();
      expect(socketInodesOf(process.pid)).toContain(listening!.inode);
      const { connect } = await import("node:net");
      const client = connect(port, "127.0.0.1");
      await new Promise((resolve) => client.once("connect", resolve));
      expect(tcpSockets().some((socket) => socket.localPort === port && socket.state === "established")).toBe(true);
      expect(tcpSockets().some((socket) => socket.remotePort === port && socket.state === "established")).toBe(true);
      client.destroy();
    } finally {
      server.close();
    }
  });
});

describe("openTcpConnections", () => {
  it("lists both ends of an open connection, from ss and from /proc alike, and no listening or closed socket", async () => {
    const server = createServer((socket) => socket.on("error", () => undefined));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const { connect } = await import("node:net");
    try {
      for (const via of ["ss", "proc"] as const) expect((await openTcpConnections(via)).filter((c) => c.localPort === port || c.remotePort === port)).toEqual([]);
      const client = connect(port, "127.0.0.1");
      await new Promise((resolve) => client.once("connect", resolve));
      const clientPort = client.localPort!;
      for (const via of ["ss", "proc"] as const) {
        const ends = (await openTcpConnections(via)).filter((c) => c.localPort === port || c.remotePort === port);
        expect(ends, via).toEqual(
          expect.arrayContaining([
            { localPort: port, remotePort: clientPort, state: "established" },
            { localPort: clientPort, remotePort: port, state: "established" },
          ]),
        );
        expect(ends, via).toHaveLength(2);
      }
      // Closed by the client: its end waits in TIME_WAIT, which is not an open connection.
      await new Promise<void>((resolve) => client.end(() => resolve()));
      await waitUntil(async () => (await openTcpConnections("proc")).every((c) => c.localPort !== port && c.remotePort !== port), { timeoutMs: 5_000 });
      for (const via of ["ss", "proc"] as const) expect((await openTcpConnections(via)).filter((c) => c.localPort === port || c.remotePort === port), via).toEqual([]);
    } finally {
      server.close();
    }
  });
});

describe("waiting", () => {
  it("waits until a check holds, or gives up at the deadline", async () => {
    let calls = 0;
    expect(await waitUntil(() => ++calls === 3 && "done", { timeoutMs: 5_000, pollMs: 1 })).toBe("done");
    const started = Date.now();
    expect(await waitUntil(() => false, { timeoutMs: 100 })).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it("ends a cancelled sleep or wait with COMMAND_CANCELLED, or the caller's own error", async () => {
    const controller = new AbortController();
    const sleeping = sleep(10_000, { signal: controller.signal });
    controller.abort();
    const error = await sleeping.catch((caught: unknown) => caught);
    expect(Hop3Error.is(error) && error.code).toBe("COMMAND_CANCELLED");
    await expect(sleep(1, { signal: controller.signal, cancelled: () => new Error("mine") })).rejects.toThrow("mine");
    await expect(waitUntil(() => false, { timeoutMs: 10_000, signal: controller.signal })).rejects.toThrow(/cancelled/);
  });
});
