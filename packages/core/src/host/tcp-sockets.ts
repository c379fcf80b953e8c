import { execFile } from "node:child_process";
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

/** A TCP connection being opened or open: its ends' ports and its state. */
export type TcpConnection = Pick<TcpSocket, "localPort" | "remotePort"> & { readonly state: OpenTcpState };
export type OpenTcpState = "established" | "syn-sent" | "syn-received";

/** ss's names of the open states. */
const SS_STATES: Record<string, OpenTcpState> = { ESTAB: "established", "SYN-SENT": "syn-sent", "SYN-RECV": "syn-received" };
const OPEN_STATES: ReadonlySet<TcpState> = new Set(Object.values(SS_STATES));

/**
 * Above this many sockets, the open connections are asked of the kernel through `ss`, which
 * filters them by state in the kernel, rather than read from /proc/net/tcp, which prints every
 * socket as text: about 2 µs each, and a server answering 500 requests/s through nginx holds some
 * 30,000 in TIME_WAIT (70 ms a read on a slow machine, against 20 ms for ss). Below it, /proc is
 * cheaper than starting a program.
 */
const SS_ABOVE = 2_000;

/**
 * Every TCP connection of this machine being opened or open (syn-sent, syn-received, established),
 * without listening or closing sockets: from `ss` when the machine holds many sockets and ss runs,
 * else from /proc/net/tcp and tcp6. `via` forces one (tests); a forced ss that fails throws.
 */
export async function openTcpConnections(via?: "ss" | "proc"): Promise<TcpConnection[]> {
  if (via === "ss" || (via === undefined && socketCount() > SS_ABOVE)) {
    const asked = await askSs();
    if (asked !== undefined) return asked;
    if (via === "ss") throw new Error("ss did not list the open TCP connections.");
  }
  return tcpSockets().flatMap(({ localPort, remotePort, state }) => (OPEN_STATES.has(state) ? [{ localPort, remotePort, state: state as OpenTcpState }] : []));
}

/** How many TCP sockets the kernel holds, TIME_WAIT included (/proc/net/sockstat and sockstat6). */
function socketCount(): number {
  let count = 0;
  for (const table of ["/proc/net/sockstat", "/proc/net/sockstat6"]) {
    try {
      const line = /^TCP6?: (.*)$/m.exec(readFileSync(table, "utf8"))?.[1] ?? "";
      count += Number(/\binuse (\d+)/.exec(line)?.[1] ?? 0) + Number(/\btw (\d+)/.exec(line)?.[1] ?? 0);
    } catch {
      // no such table: count what the others hold
    }
  }
  return count;
}

/** The open connections as `ss` lists them; undefined when it is missing or fails (/proc answers then). */
function askSs(): Promise<TcpConnection[] | undefined> {
  return new Promise((resolve) => {
    execFile("ss", ["-Htn", "state", "established", "state", "syn-recv", "state", "syn-sent"], { timeout: 5_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      if (error) return resolve(undefined);
      const connections: TcpConnection[] = [];
      for (const line of stdout.split("\n")) {
        // STATE RECV-Q SEND-Q LOCAL:PORT PEER:PORT; IPv6 addresses are bracketed, the port after the last colon.
        const [state, , , local, peer] = line.trim().split(/\s+/);
        const open = state === undefined ? undefined : SS_STATES[state];
        if (open === undefined || local === undefined || peer === undefined) continue;
        connections.push({ localPort: Number(local.slice(local.lastIndexOf(":") + 1)), remotePort: Number(peer.slice(peer.lastIndexOf(":") + 1)), state: open });
      }
      resolve(connections);
    });
  });
}

/** The inodes of the sockets a process holds open (see TcpSocket.inode); empty when it is gone or not ours to read. */
export const socketInodesOf = (pid: number): string[] => openFiles(pid).flatMap((file) => /^socket:\[(\d+)\]$/.exec(file)?.[1] ?? []);
