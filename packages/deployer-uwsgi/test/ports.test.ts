import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { findFreePort, isPortFree } from "@hop3/core";
import { assignPorts } from "../src/ports.js";

const servers: Server[] = [];
const occupy = (port: number) =>
  new Promise<void>((resolve) => {
    const server = createServer();
    servers.push(server);
    server.listen(port, "127.0.0.1", () => resolve());
  });
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

// Real sockets: whether a port is free is the kernel's answer, not a guess.
describe("assignPorts", () => {
  const base = { bindAddress: "127.0.0.1", reserved: new Set<number>(), isRunning: () => false };

  it("gives N web instances N distinct free ports", async () => {
    const { ports, moved } = await assignPorts({ ...base, keys: ["web.1", "web.2", "web.3"], previous: {} });
    expect(new Set(Object.values(ports)).size).toBe(3);
    for (const port of Object.values(ports)) expect(await isPortFree("127.0.0.1", port)).toBe(true);
    expect(moved).toEqual([]);
  });

  it("keeps a previous port that is free, or busy because the instance itself runs", async () => {
    const kept = await findFreePort("127.0.0.1");
    expect((await assignPorts({ ...base, keys: ["web.1"], previous: { "web.1": kept } })).ports).toEqual({ "web.1": kept });
    await occupy(kept);
    const running = await assignPorts({ ...base, keys: ["web.1"], previous: { "web.1": kept }, isRunning: (key) => key === "web.1" });
    expect(running).toEqual({ ports: { "web.1": kept }, moved: [] });
  });

  it("moves an instance whose port another program took", async () => {
    const taken = await findFreePort("127.0.0.1");
    await occupy(taken);
    const { ports, moved } = await assignPorts({ ...base, keys: ["web.1"], previous: { "web.1": taken } });
    expect(ports["web.1"]).not.toBe(taken);
    expect(moved).toEqual(["web.1"]);
  });

  it("never hands out a port another app holds, even a stopped one", async () => {
    const other = await findFreePort("127.0.0.1");
    const { ports } = await assignPorts({ ...base, keys: ["web.1"], previous: { "web.1": other }, reserved: new Set([other]) });
    expect(ports["web.1"]).not.toBe(other);
  });
});
