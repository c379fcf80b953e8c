import { connect } from "node:net";
import type { WaitOptions } from "@hop3/core";
import { uwsgiError } from "./errors.js";

/** True when something accepts a TCP connection on host:port within the time given. */
export function tcpAccepts(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (accepted: boolean) => {
      socket.destroy();
      resolve(accepted);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    // A connection to a port nobody listens on can meet itself when the kernel picks that very port
    // as its source (TCP simultaneous open): that is no listener.
    socket.once("connect", () => done(!(socket.localPort === socket.remotePort && socket.localAddress === socket.remoteAddress)));
    socket.once("error", () => done(false));
  });
}

/** The address to connect to for a bind address: a wildcard is reached on loopback. */
export function connectHost(bindAddress: string): string {
  if (bindAddress === "0.0.0.0") return "127.0.0.1";
  if (bindAddress === "::") return "::1";
  return bindAddress;
}

/** How the deployer's waits end when the operation is cancelled: UWSGI_CANCELLED. */
export const cancellable = (signal: AbortSignal | undefined): WaitOptions => ({ ...(signal && { signal }), cancelled });

const cancelled = () => uwsgiError("UWSGI_CANCELLED", "The operation was cancelled before it finished.");
