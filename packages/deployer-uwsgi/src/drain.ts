import { sleep, tcpSockets } from "@hop3/core";
import { cancellable } from "./process.js";

const POLL_MS = 50;

/**
 * Connections open to any of `ports` on this machine, from the kernel's tables (Linux /proc/net).
 * The router keeps no idle connection to an app's instances (see RouteSpec.slots), so after a
 * switch a connection open to an old port is a request sent before it, not yet answered.
 */
export function openConnections(ports: ReadonlySet<number>): number {
  return tcpSockets().filter((socket) => socket.state === "established" && ports.has(socket.localPort)).length;
}

/**
 * Waits until no connection is open to the old instances' ports, at most `maxMs`: requests already
 * sent to them finish, and a deploy does not wait out a fixed period when nothing is in flight.
 * Long-lived connections (websockets) are cut at `maxMs`.
 */
export async function drainConnections(ports: ReadonlySet<number>, maxMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (ports.size > 0 && openConnections(ports) > 0 && Date.now() < deadline) {
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())), cancellable(signal));
  }
}
