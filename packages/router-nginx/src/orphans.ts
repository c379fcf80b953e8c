import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { commandLine, livePids } from "./procfs.js";

/**
 * nginx workers whose master died (killed with SIGKILL, OOM) keep serving and keep the port: a new
 * nginx could never start. They are found by what they hold, a listening socket on the port, and
 * by having no nginx master for a parent. A live nginx of anyone else has its master.
 */
export function orphanWorkersOn(port: number): number[] {
  const sockets = listeningSockets(port);
  if (sockets.size === 0) return [];
  return livePids().filter((pid) => {
    if (!(commandLine(pid) ?? "").startsWith("nginx: worker process")) return false;
    if ((commandLine(parentOf(pid)) ?? "").startsWith("nginx: master process")) return false;
    return openSockets(pid).some((inode) => sockets.has(inode));
  });
}

/** Socket inodes listening on a TCP port, on any address (IPv4 and IPv6). */
function listeningSockets(port: number): Set<string> {
  const inodes = new Set<string>();
  const portHex = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; the inode is the tenth field.
      if (fields[1]?.endsWith(`:${portHex}`) && fields[3] === "0A" && fields[9]) inodes.add(fields[9]);
    }
  }
  return inodes;
}

function openSockets(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        } catch {
          return undefined;
        }
      })
      .filter((inode): inode is string => inode !== undefined);
  } catch {
    return [];
  }
}

function parentOf(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return 0;
  }
}
