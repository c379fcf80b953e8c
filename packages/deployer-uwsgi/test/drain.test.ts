import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { createServer, connect, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { openTcpConnections } from "@hop3/core";
import { countInFlight, drainConnections, openConnections, PACE, QUIET_MS } from "../src/drain.js";

// Real loopback sockets, counted from the kernel's tables: the drain waits for exactly these.
let server: Server | undefined;
const sockets: Socket[] = [];

async function listen(): Promise<number> {
  server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
  return (server.address() as { port: number }).port;
}

async function open(port: number): Promise<Socket> {
  const client = connect(port, "127.0.0.1");
  await new Promise((done) => client.once("connect", done));
  sockets.push(client);
  return client;
}

let stuck: ChildProcess | undefined;

/**
 * A server that listens with the shortest accept queue and never accepts, like an instance too busy
 * to: the kernel queues one connection and drops the first packet of the next ones.
 */
async function listenWithoutAccepting(): Promise<number> {
  const script = "import socket,sys,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()";
  stuck = spawn("/usr/bin/python3", ["-c", script], { stdio: ["pipe", "pipe", "inherit"] });
  const [line] = await createInterface({ input: stuck.stdout! })[Symbol.asyncIterator]().next().then((r) => [r.value as string]);
  return Number(line);
}

afterEach(async () => {
  if (stuck) {
    const exited = new Promise((done) => stuck!.once("exit", done));
    stuck.stdin!.end();
    await exited;
    stuck = undefined;
  }
  for (const socket of sockets.splice(0)) socket.destroy();
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
  server = undefined;
});

describe("draining the old instances' ports", () => {
  it("counts the connections open to a port, and none once they close", async () => {
    const port = await listen();
    expect(await openConnections(new Set([port]))).toBe(0);
    const client = await open(port);
    // Both ends of a loopback connection are in the table; the server side has the port as local.
    expect(await openConnections(new Set([port]))).toBeGreaterThanOrEqual(1);
    client.destroy();
    for (const socket of sockets) socket.destroy();
    await new Promise((done) => setTimeout(done, 50));
    expect(await openConnections(new Set([port]))).toBe(0);
  });

  it("returns at once when nothing is in flight, and waits for a connection to close", async () => {
    const port = await listen();
    let started = Date.now();
    await drainConnections(new Set([port]), 5_000);
    expect(Date.now() - started).toBeLessThan(1_000);

    const client = await open(port);
    setTimeout(() => sockets.forEach((socket) => socket.destroy()), 300);
    started = Date.now();
    await drainConnections(new Set([port]), 5_000);
    const waited = Date.now() - started;
    expect(client.destroyed).toBe(true);
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(4_000);
  });

  it("counts a connection whose first packet a full accept queue dropped, though the server has nothing of it yet", async () => {
    const port = await listenWithoutAccepting();
    const clients = [0, 1, 2].map(() => {
      const client = connect(port, "127.0.0.1");
      client.on("error", () => undefined); // refused once the server is gone
      sockets.push(client);
      return client;
    });
    await new Promise((done) => setTimeout(done, 100));
    // One queued (both ends established), two only on the client's side (syn-sent).
    expect(await openConnections(new Set([port]))).toBe(clients.length + 1);
    // ss (asked on a busy machine) sees them the same way.
    for (const via of ["ss", "proc"] as const) {
      const seen = await openTcpConnections(via);
      expect(seen.filter((c) => c.state === "syn-sent" && c.remotePort === port), via).toHaveLength(2);
      expect(seen.filter((c) => c.state === "established" && c.localPort === port), via).toHaveLength(1);
    }
    const started = Date.now();
    await drainConnections(new Set([port]), 300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("counts a connection the server keeps nothing of (a SYN cookie), by the client's end alone", () => {
    // Seen in the zero-downtime test: a burst of connects filled the old instance's queue of
    // half-open connections, the kernel answered with SYN cookies, and nginx's ends were established
    // with their requests sent while the instance's table had nothing of them.
    const old = new Set([13777]);
    const table = [
      { localPort: 41000, remotePort: 13777, state: "established" as const }, // nginx's end, request sent
      { localPort: 41002, remotePort: 13777, state: "syn-sent" as const }, // first packet dropped
      { localPort: 27466, remotePort: 41004, state: "established" as const }, // the live instance's
      { localPort: 41004, remotePort: 27466, state: "established" as const },
    ];
    expect(countInFlight(table, old)).toBe(2);
    expect(countInFlight(table.slice(2), old)).toBe(0);
  });

  it("counts the quiet period from the switch, and a request still in flight holds it all the same", async () => {
    const port = await listen();
    const switched = Date.now() - 1_000;
    let started = Date.now();
    await drainConnections(new Set([port]), 5_000, { since: switched });
    expect(Date.now() - started).toBeLessThan(QUIET_MS * 10);

    await open(port);
    setTimeout(() => sockets.forEach((socket) => socket.destroy()), 300);
    started = Date.now();
    await drainConnections(new Set([port]), 5_000, { since: switched });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250 + QUIET_MS);
  });

  it("pauses after each look in proportion to what it cost, so a slow table leaves the CPU to the apps", async () => {
    // A stand-in for a kernel table that takes 20 ms to read (a busy server's TIME_WAIT sockets).
    const looks: number[] = [];
    const slowCount = () => {
      looks.push(performance.now());
      const until = performance.now() + 20;
      while (performance.now() < until); // the read's cost, on the CPU
      return looks.length < 4 ? 1 : 0;
    };
    await drainConnections(new Set([1]), 5_000, { count: slowCount });
    expect(looks.length).toBeGreaterThanOrEqual(4);
    // Each look (20 ms) followed by a pause of at least PACE times its cost: busy a quarter of the time at most.
    for (let i = 1; i < looks.length; i++) expect(looks[i]! - looks[i - 1]!).toBeGreaterThanOrEqual(20 * (1 + PACE) - 1);
  });

  it("gives up at its limit when a connection stays open", async () => {
    const port = await listen();
    await open(port);
    const started = Date.now();
    await drainConnections(new Set([port]), 300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await openConnections(new Set([port]))).toBeGreaterThanOrEqual(1);
  });
});
