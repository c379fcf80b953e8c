import { findFreePort, isPortFree } from "@hop3/core";

/** What port assignment needs to know. */
export interface PortRequest {
  /** Web instance keys (`web.1`, `web.2`...) that need a port. */
  readonly keys: readonly string[];
  /** The app's ports from its state: kept when still usable, so restarts and redeploys keep them. */
  readonly previous: Readonly<Record<string, number>>;
  /** The address web workers bind (a port is free when it can be bound there). */
  readonly bindAddress: string;
  /** Ports other apps of this HOP3_HOME hold, running or stopped: never handed out twice. */
  readonly reserved: ReadonlySet<number>;
  /** True when the instance runs now, so its port being busy is its own doing. */
  readonly isRunning: (key: string) => boolean;
}

/**
 * One distinct port per web instance. A kept port is the instance's own; a new one is a free port
 * the kernel picked, checked against every other app's. Returns the ports and the keys whose port
 * changed (a foreign program took the old one).
 */
export async function assignPorts(request: PortRequest): Promise<{ ports: Record<string, number>; moved: string[] }> {
  const ports: Record<string, number> = {};
  const moved: string[] = [];
  const used = new Set<number>(request.reserved);
  for (const key of request.keys) {
    const previous = request.previous[key];
    if (previous !== undefined && !used.has(previous) && (request.isRunning(key) || (await isPortFree(request.bindAddress, previous)))) {
      ports[key] = previous;
    } else {
      ports[key] = await findFreePort(request.bindAddress, used);
      if (previous !== undefined) moved.push(key);
    }
    used.add(ports[key]!);
  }
  return { ports, moved };
}
