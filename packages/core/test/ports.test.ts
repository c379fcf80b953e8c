import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { drawFreePort, findFreePort, isPortFree, isPortInUse, keptPortRange } from "../src/host/ports.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A program listening on the port, closed after the test. */
const listen = (port: number) =>
  new Promise<void>((resolve) => {
    const server = createServer();
    servers.push(server);
    server.listen(port, "127.0.0.1", () => resolve());
  });

// Real sockets: whether a port is free is the kernel's answer.
describe("isPortFree", () => {
  it("is true for a free port and false once a program listens on it", async () => {
    const port = await findFreePort("127.0.0.1");
    expect(await isPortFree("127.0.0.1", port)).toBe(true);
    await listen(port);
    expect(await isPortFree("127.0.0.1", port)).toBe(false);
  });
});

describe("isPortInUse", () => {
  it("is true only while another socket holds the port", async () => {
    const port = await findFreePort("127.0.0.1");
    expect(await isPortInUse("127.0.0.1", port)).toBe(false);
    await listen(port);
    expect(await isPortInUse("127.0.0.1", port)).toBe(true);
  });

  it("leaves an address that is not on this host to the program that binds it", async () => {
    // 192.0.2.1 (TEST-NET-1) is no address of this host: EADDRNOTAVAIL, which is not "in use".
    expect(await isPortInUse("192.0.2.1", 80)).toBe(false);
    expect(await isPortFree("192.0.2.1", 80)).toBe(false);
  });
});

describe("findFreePort", () => {
  it("skips excluded ports", async () => {
    const first = await findFreePort("127.0.0.1");
    const second = await findFreePort("127.0.0.1", new Set([first]));
    expect(second).not.toBe(first);
  });

  it("draws from outside the kernel's ephemeral range, where outgoing connections take their ports", async () => {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    const range = keptPortRange();
    expect(range).toBeDefined();
    for (let i = 0; i < 20; i++) {
      const port = await findFreePort("127.0.0.1");
      expect(port < low! || port > high!).toBe(true);
      expect(port).toBeGreaterThanOrEqual(range!.low);
      expect(port).toBeLessThanOrEqual(range!.high);
    }
  });

  it("never hands out a port a program listens on, nor an excluded one", async () => {
    const { low } = keptPortRange()!;
    let base = low + 5_000;
    while (!((await isPortFree("127.0.0.1", base)) && (await isPortFree("127.0.0.1", base + 1)) && (await isPortFree("127.0.0.1", base + 2)))) base += 3;
    await listen(base);
    // Of base..base+2, base is held and base+1 excluded: only base+2 can be drawn.
    for (let i = 0; i < 10; i++) expect(await drawFreePort("127.0.0.1", new Set([base + 1]), { low: base, high: base + 2 })).toBe(base + 2);
    // Nothing left in the range: the kernel's own pick, free and outside it.
    const fallback = await drawFreePort("127.0.0.1", new Set([base + 1, base + 2]), { low: base, high: base + 2 });
    expect([base, base + 1, base + 2]).not.toContain(fallback);
    expect(await isPortFree("127.0.0.1", fallback)).toBe(true);
  });

  it("refuses an address of another host with a coded error, not the system's", async () => {
    // 192.0.2.1 (TEST-NET-1): a well-formed address (BIND_ADDRESS passes its check) no port of which binds here.
    const refused = await findFreePort("192.0.2.1").catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: "PORT_UNAVAILABLE", details: { host: "192.0.2.1", reason: "EADDRNOTAVAIL" } });
    expect((refused as Error).message).toBe("No TCP port can be bound on 192.0.2.1: it is not an address of this machine.");
  });
});

describe("keptPortRange", () => {
  it("lies below the ephemeral range when there is room, above it otherwise, and nowhere when neither side has room", () => {
    expect(keptPortRange([32_768, 60_999])).toEqual({ low: 10_000, high: 32_767 });
    expect(keptPortRange([10_500, 60_000])).toEqual({ low: 60_001, high: 65_535 });
    expect(keptPortRange([1_024, 50_000])).toEqual({ low: 50_001, high: 65_535 });
    expect(keptPortRange([1_024, 65_535])).toBeUndefined();
    expect(keptPortRange([10_000, 64_999])).toBeUndefined();
  });
});
