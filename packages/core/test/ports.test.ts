import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { findFreePort, isPortFree, isPortInUse } from "../src/host/ports.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

// Real sockets: whether a port is free is the kernel's answer.
describe("isPortFree", () => {
  it("is true for a free port and false once a program listens on it", async () => {
    const port = await findFreePort("127.0.0.1");
    expect(await isPortFree("127.0.0.1", port)).toBe(true);
    await new Promise<void>((resolve) => {
      const server = createServer();
      servers.push(server);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    expect(await isPortFree("127.0.0.1", port)).toBe(false);
  });
});

describe("isPortInUse", () => {
  it("is true only while another socket holds the port", async () => {
    const port = await findFreePort("127.0.0.1");
    expect(await isPortInUse("127.0.0.1", port)).toBe(false);
    await new Promise<void>((resolve) => {
      const server = createServer();
      servers.push(server);
      server.listen(port, "127.0.0.1", () => resolve());
    });
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
});
