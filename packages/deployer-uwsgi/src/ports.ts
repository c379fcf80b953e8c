import { createServer } from "node:net";

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

/** True when the port can be bound on the address now. */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the kernel reports free on the address, not in `exclude`. */
export async function findFreePort(host: string, exclude: ReadonlySet<number> = new Set()): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen({ host, port: 0, exclusive: true }, () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    if (port > 0 && !exclude.has(port)) return port;
  }
  throw new Error(`No free TCP port found on ${host} after 50 attempts.`);
}
