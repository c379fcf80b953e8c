import { livePids, processStat, socketInodesOf, tcpSockets } from "@hop3/core";
import { processTitle } from "./procfs.js";

/**
 * nginx workers whose master died (killed with SIGKILL, OOM) keep serving and keep the port: a new
 * nginx could never start. They are found by what they hold, a listening socket on the port, and
 * by having no nginx master for a parent. A live nginx of anyone else has its master.
 */
export function orphanWorkersOn(port: number): number[] {
  const sockets = new Set(tcpSockets().flatMap((socket) => (socket.localPort === port && socket.state === "listen" ? [socket.inode] : [])));
  if (sockets.size === 0) return [];
  return livePids().filter((pid) => {
    if (!processTitle(pid).startsWith("nginx: worker process")) return false;
    if (processTitle(processStat(pid)?.ppid ?? 0).startsWith("nginx: master process")) return false;
    return socketInodesOf(pid).some((inode) => sockets.has(inode));
  });
}
