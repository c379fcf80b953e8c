import { readFileSync } from "node:fs";
import { openFiles } from "./processes.js";

/** The kernel's TCP states, as /proc/net/tcp numbers them. */
const TCP_STATES: Record<string, TcpState> = {
  "01": "established",
  "02": "syn-sent",
  "03": "syn-received",
  "04": "fin-wait-1",
  "05": "fin-wait-2",
  "06": "time-wait",
  "07": "close",
  "08": "close-wait",
  "09": "last-ack",
  "0A": "listen",
  "0B": "closing",
};

export type TcpState = "established" | "syn-sent" | "syn-received" | "fin-wait-1" | "fin-wait-2" | "time-wait" | "close" | "close-wait" | "last-ack" | "listen" | "closing";

/** One TCP socket of this machine (IPv4 or IPv6). */
export interface TcpSocket {
  readonly localPort: number;
  readonly remotePort: number;
  readonly state: TcpState;
  /** The socket's inode: `/proc/<pid>/fd/*` links to `socket:[<inode>]` for the processes holding it. */
  readonly inode: string;
}

/**
 * Every TCP socket of this machine, from the kernel's tables (/proc/net/tcp and tcp6, Linux);
 * empty where there are none. Seen from Hop3's network namespace.
 */
export function tcpSockets(): TcpSocket[] {
  const sockets: TcpSocket[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue; // no IPv6 table on this machine
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode; addresses are HEXIP:HEXPORT.
      const [, local, remote, st, , , , , , inode] = line.trim().split(/\s+/);
      const state = st === undefined ? undefined : TCP_STATES[st];
      if (local === undefined || remote === undefined || state === undefined || inode === undefined) continue;
      sockets.push({ localPort: portOf(local), remotePort: portOf(remote), state, inode });
    }
  }
  return sockets;
}

const portOf = (address: string): number => Number.parseInt(address.slice(address.lastIndexOf(":") + 1), 16);

/** The inodes of the sockets a process holds open (see TcpSocket.inode); empty when it is gone or not ours to read. */
export const socketInodesOf = (pid: number): string[] => openFiles(pid).flatMap((file) => /^socket:\[(\d+)\]$/.exec(file)?.[1] ?? []);
