import { readFileSync } from "node:fs";
import { sleep } from "./process.js";

const ESTABLISHED = "01";
const POLL_MS = 50;

/**
 * Connections open to any of `ports` on this machine, from the kernel's tables (Linux /proc/net).
 * After a switch only the old nginx workers, finishing their requests, still talk to old ports.
 */
export function openConnections(ports: ReadonlySet<number>): number {
  let count = 0;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue; // no IPv6 table on this machine
    }
    for (const line of text.split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== ESTABLISHED || local === undefined) continue;
      if (ports.has(Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16))) count++;
    }
  }
  return count;
}

/**
 * Waits until no connection is open to the old instances' ports, at most `maxMs`: requests already
 * sent to them finish, and a deploy does not wait out a fixed period when nothing is in flight.
 * Long-lived connections (websockets) are cut at `maxMs`.
 */
export async function drainConnections(ports: ReadonlySet<number>, maxMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (ports.size > 0 && openConnections(ports) > 0 && Date.now() < deadline) {
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())), signal);
  }
}
