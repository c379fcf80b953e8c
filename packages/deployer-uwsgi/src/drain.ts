import { openTcpConnections, sleep, type TcpConnection } from "@hop3/core";
import { cancellable } from "./process.js";

const POLL_MS = 10;

/**
 * Connections to any of `ports` on this machine, from the kernel (core's openTcpConnections). The
 * router keeps no idle connection to an app's instances (see RouteSpec.slots), so after a switch a
 * connection to an old port is a request sent before it, not yet answered.
 */
export async function openConnections(ports: ReadonlySet<number>): Promise<number> {
  return countInFlight(await openTcpConnections(), ports);
}

/**
 * The connections of `connections` to any of `ports`, counted by either end: the server's
 * (established, or half-open) and the client's (connecting or established). The client's end is
 * the only one there is while an instance's accept queue is full: the kernel drops a connection's
 * first packet (the client sends it again a second later, syn-sent until then), or, when a burst of
 * connects fills the queue of half-open ones, answers with a SYN cookie and keeps nothing of the
 * connection until it is accepted, while the client, established, has sent its request. A connection
 * this machine makes elsewhere to the same port number only makes the drain wait longer.
 */
export function countInFlight(connections: readonly TcpConnection[], ports: ReadonlySet<number>): number {
  return connections.filter((connection) => ports.has(connection.localPort) || ports.has(connection.remotePort)).length;
}

/**
 * How long the old ports must stay without a connection: an nginx worker that read which slot is
 * live just before the switch, then was preempted, connects a moment later.
 */
export const QUIET_MS = 50;

/**
 * The pause after each look at the kernel's tables, as a multiple of what the look cost. A look
 * costs more the more sockets the machine holds (see openTcpConnections: a server answering 500
 * requests/s through nginx holds some 30,000 in TIME_WAIT). Polled every 10 ms, a drain could take
 * a whole CPU from the apps it serves, right after the switch; paced, at most a quarter.
 */
export const PACE = 3;

/**
 * Waits until no connection is open to the old instances' ports and none was for QUIET_MS since
 * the switch (`since`, default now: what ran after the switch counts toward the quiet period), at
 * most `maxMs`: requests already sent to them finish, and a deploy does not wait out a fixed period
 * when nothing is in flight. Long-lived connections (websockets) are cut at `maxMs`.
 */
export async function drainConnections(
  ports: ReadonlySet<number>,
  maxMs: number,
  options: { readonly since?: number; readonly signal?: AbortSignal; readonly count?: (ports: ReadonlySet<number>) => number | Promise<number> } = {},
): Promise<void> {
  const { signal, count = openConnections } = options;
  const started = Date.now();
  const deadline = started + maxMs;
  let lastBusy = Math.min(options.since ?? started, started);
  while (ports.size > 0 && Date.now() < deadline) {
    const looked = performance.now();
    const open = await count(ports);
    const cost = performance.now() - looked;
    if (open > 0) lastBusy = Date.now();
    else if (Date.now() - lastBusy >= Math.min(QUIET_MS, maxMs)) return;
    await sleep(Math.min(Math.max(POLL_MS, cost * PACE), Math.max(0, deadline - Date.now())), cancellable(signal));
  }
}
