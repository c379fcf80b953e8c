import { accessSync, constants, statSync } from "node:fs";
import { createConnection } from "node:net";

/** How Nix runs on this machine, as `hop3 doctor` reports it. */
export interface NixModeReport {
  /** `multi-user`: a nix-daemon builds for every user; `single-user`: builds run in the user's own process. */
  readonly mode: "multi-user" | "single-user" | "none";
  /** Whether the Hop3 of the current user can build in that mode. */
  readonly usable: boolean;
  readonly detail: string;
  /** Whether a nix-daemon accepts connections on its socket (`absent`: no socket there). */
  readonly daemon: "answering" | "not answering" | "absent";
}

export interface NixModeProbes {
  /** Whether a path exists and is a Unix socket. */
  isSocket(path: string): boolean;
  /** Whether the current user may write there (read/write for a socket). */
  canWrite(path: string): boolean;
  exists(path: string): boolean;
}

/** What decides the mode besides files: who runs Hop3, and whether the daemon answers. */
export interface NixModeFacts {
  /** Hop3 runs as root: each app builds as its own user, which only a daemon allows. */
  readonly root: boolean;
  readonly daemonAnswers: boolean;
}

export const NIX_DAEMON_SOCKET = "/nix/var/nix/daemon-socket/socket";
/** Its directory: only root and the group nix-users may enter it (Debian's nix-setup-systemd). */
const NIX_DAEMON_SOCKET_DIR = "/nix/var/nix/daemon-socket";
const NIX_STORE = "/nix/store";
const NIX_DB = "/nix/var/nix/db";

/**
 * As root, Hop3 builds each app as the app's own user, through a nix-daemon: multi-user, usable
 * whether or not one answers now (Hop3's Nix builder starts one when none does). Another user
 * builds as themselves: through a daemon they may reach (multi-user), else by writing the store
 * (single-user).
 */
export function detectNixMode(env: Readonly<Record<string, string | undefined>>, facts: NixModeFacts, probes: NixModeProbes = fileProbes): NixModeReport {
  const socket = probes.isSocket(NIX_DAEMON_SOCKET);
  const daemon = facts.daemonAnswers ? "answering" : socket ? "not answering" : "absent";
  if (!probes.exists(NIX_STORE)) return { mode: "none", usable: false, detail: "no /nix/store", daemon };
  if (facts.root) {
    return {
      mode: "multi-user",
      usable: true,
      detail: facts.daemonAnswers
        ? `nix-daemon answering on ${NIX_DAEMON_SOCKET}; each app builds as its own user, through it`
        : `no nix-daemon answers on ${NIX_DAEMON_SOCKET}; Hop3's Nix builder starts one at the next build (each app builds as its own user, through it)`,
      daemon,
    };
  }
  // A directory this user may not enter hides the socket itself: the daemon may well be there.
  if (probes.exists(NIX_DAEMON_SOCKET_DIR) && !probes.canWrite(NIX_DAEMON_SOCKET_DIR) && !socket) {
    return { mode: "multi-user", usable: false, detail: `this user may not enter ${NIX_DAEMON_SOCKET_DIR}, where the nix-daemon listens: join the group nix-users`, daemon };
  }
  if (env.NIX_REMOTE === "daemon" || socket || facts.daemonAnswers) {
    const usable = facts.daemonAnswers && probes.canWrite(NIX_DAEMON_SOCKET);
    const detail = usable
      ? "nix-daemon"
      : facts.daemonAnswers
        ? `nix-daemon (this user may not use ${NIX_DAEMON_SOCKET}: join the group nix-users)`
        : socket
          ? `a daemon socket, but no nix-daemon answers on it (systemctl start nix-daemon.socket, or run nix-daemon as root)`
          : "NIX_REMOTE=daemon but no daemon socket";
    return { mode: "multi-user", usable, detail, daemon };
  }
  const usable = probes.canWrite(NIX_STORE) && probes.canWrite(NIX_DB);
  return { mode: "single-user", usable, detail: usable ? "no daemon; this user writes /nix/store" : "no daemon, and this user cannot write /nix/store (run hop3 setup)", daemon };
}

/**
 * Whether a nix-daemon accepts a connection on its socket: a socket file alone may be left from a
 * daemon that is gone. The connection is closed at once; the daemon only logs it.
 */
export function nixDaemonAnswers(socket = NIX_DAEMON_SOCKET, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const connection = createConnection(socket);
    const done = (answers: boolean) => {
      clearTimeout(timer);
      connection.destroy();
      resolve(answers);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    connection.once("connect", () => done(true));
    connection.once("error", () => done(false));
  });
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
