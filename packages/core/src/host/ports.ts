import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { coreError } from "../error-codes.js";

/** True when the TCP port can be bound on the address now. */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * True when another socket holds the TCP port on the address (EADDRINUSE). Any other refusal (an
 * address not on this host) is left for the program that will bind it to report in its own words.
 */
export function isPortInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "EADDRINUSE"));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/** The lowest port Hop3 keeps for itself: the common services' ports (5432, 6379, 8080...) lie below. */
const KEPT_PORTS_FLOOR = 10_000;
/** A range narrower than this is not worth drawing from: the kernel's own pick is used instead. */
const KEPT_PORTS_MIN_SPAN = 1_000;

/**
 * Where the ports Hop3 keeps (an app's web instances, its standby slot, its registry) are drawn
 * from: outside the kernel's ephemeral range (`net.ipv4.ip_local_port_range`, 32768-60999 by
 * default), below it when there is room. Outgoing connections take their source ports from that
 * range and hold them in TIME_WAIT for a minute after; on a busy server (nginx connecting to every
 * app) a kept port there would now and then be taken when its instance next starts, moving the app
 * to a new port and reloading nginx at what should have been a plain switch. Undefined when the
 * ephemeral range leaves no room on either side.
 */
export function keptPortRange(ephemeral: readonly [number, number] = ephemeralPortRange()): { low: number; high: number } | undefined {
  const [ephemeralLow, ephemeralHigh] = ephemeral;
  if (ephemeralLow - 1 - KEPT_PORTS_FLOOR >= KEPT_PORTS_MIN_SPAN) return { low: KEPT_PORTS_FLOOR, high: ephemeralLow - 1 };
  const low = Math.max(KEPT_PORTS_FLOOR, ephemeralHigh + 1);
  if (65_535 - low >= KEPT_PORTS_MIN_SPAN) return { low, high: 65_535 };
  return undefined;
}

function ephemeralPortRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // not Linux, or /proc not mounted: the kernel's default
  }
  return [32_768, 60_999];
}

/**
 * A TCP port free on the address now, not in `exclude`, from the kept range (keptPortRange). Drawn
 * at random, so two HOP3_HOMEs on one host (parallel tests) rarely draw the same one; the kernel's
 * own pick when the kept range is missing or finds nothing free.
 */
export function findFreePort(host: string, exclude: ReadonlySet<number> = new Set()): Promise<number> {
  return drawFreePort(host, exclude, keptPortRange());
}

/** findFreePort from a given range (tests draw from a narrow one). */
export async function drawFreePort(host: string, exclude: ReadonlySet<number>, range: { low: number; high: number } | undefined): Promise<number> {
  if (range !== undefined) {
    for (let attempt = 0; attempt < 100; attempt++) {
      const port = range.low + randomInt(range.high - range.low + 1);
      if (!exclude.has(port) && (await isPortFree(host, port))) return port;
    }
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await kernelPickedPort(host).catch((error: NodeJS.ErrnoException) => {
      // Not a busy port but the address itself (another host's, EADDRNOTAVAIL): no retry will do.
      const why = error.code === "EADDRNOTAVAIL" ? "it is not an address of this machine" : (error.code ?? error.message);
      throw coreError("PORT_UNAVAILABLE", `No TCP port can be bound on ${host}: ${why}.`, { cause: error, details: { host, reason: error.code ?? error.message } });
    });
    if (port > 0 && !exclude.has(port)) return port;
  }
  throw coreError("PORT_UNAVAILABLE", `No free TCP port was found on ${host} after 50 attempts.`, { details: { host, reason: "every port tried was taken" } });
}

function kernelPickedPort(host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
