import { accessSync, constants, statSync } from "node:fs";

/** How Nix runs on this machine, as `hop3 doctor` reports it. */
export interface NixModeReport {
  /** `multi-user`: a nix-daemon builds for every user; `single-user`: builds run in the user's own process. */
  readonly mode: "multi-user" | "single-user" | "none";
  /** Whether the current user can build in that mode. */
  readonly usable: boolean;
  readonly detail: string;
}

export interface NixModeProbes {
  /** Whether a path exists and is a Unix socket. */
  isSocket(path: string): boolean;
  /** Whether the current user may write there (read/write for a socket). */
  canWrite(path: string): boolean;
  exists(path: string): boolean;
}

export const NIX_DAEMON_SOCKET = "/nix/var/nix/daemon-socket/socket";
const NIX_STORE = "/nix/store";
const NIX_DB = "/nix/var/nix/db";

/**
 * Multi-user when a daemon socket is there (systemd made it, or a daemon runs) or NIX_REMOTE says daemon;
 * single-user otherwise. Root builds directly either way; other users need the socket or a store they own.
 */
export function detectNixMode(env: Readonly<Record<string, string | undefined>>, probes: NixModeProbes = fileProbes): NixModeReport {
  if (!probes.exists(NIX_STORE)) return { mode: "none", usable: false, detail: "no /nix/store" };
  const daemon = probes.isSocket(NIX_DAEMON_SOCKET);
  if (env.NIX_REMOTE === "daemon" || daemon) {
    const usable = daemon && probes.canWrite(NIX_DAEMON_SOCKET);
    return { mode: "multi-user", usable, detail: usable ? "nix-daemon" : daemon ? `nix-daemon (this user may not use ${NIX_DAEMON_SOCKET}: join the group nix-users)` : "NIX_REMOTE=daemon but no daemon socket" };
  }
  const usable = probes.canWrite(NIX_STORE) && probes.canWrite(NIX_DB);
  return { mode: "single-user", usable, detail: usable ? "no daemon; this user writes /nix/store" : "no daemon, and this user cannot write /nix/store (run hop3 setup)" };
}

const fileProbes: NixModeProbes = {
  isSocket(path) {
    try {
      return statSync(path).isSocket();
    } catch {
      return false;
    }
  },
  canWrite(path) {
    try {
      accessSync(path, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
  exists(path) {
    try {
      statSync(path);
      return true;
    } catch {
      return false;
    }
  },
};
