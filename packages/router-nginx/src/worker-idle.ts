import { readFileSync } from "node:fs";
import { childrenOf, sleep } from "@hop3/core";

/**
 * Resolves once every nginx worker has gone back to waiting for events since the call (or is
 * gone), at most `timeoutMs`. A worker reads which slot is live and connects to it within one
 * event: once it has waited again, every request that read the slot before the call has
 * connected, so a drain that then sees no connection to the old slot sees all there will be.
 */
export async function workersIdledOnce(master: number, timeoutMs: number): Promise<void> {
  const pending = new Map(childrenOf(master).map((pid) => [pid, voluntarySwitches(pid)]));
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0 && Date.now() < deadline) {
    for (const [pid, before] of pending) {
      const now = voluntarySwitches(pid);
      // A voluntary switch is a wait (epoll); sleeping right now is one too.
      if (now === undefined || before === undefined || now > before || sleeping(pid)) pending.delete(pid);
    }
    if (pending.size > 0) await sleep(1);
  }
}

function voluntarySwitches(pid: number): number | undefined {
  try {
    const match = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined; // gone
  }
}

function sleeping(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("S") ?? false;
  } catch {
    return true; // gone
  }
}
