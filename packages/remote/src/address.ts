import { homedir } from "node:os";
import { join } from "node:path";

// Where a remote is and where remotes are kept, with node's own modules only: `connectEarly` reads
// them before Hop3's modules load.

/** Where a remote's server is: an `ssh://[USER@]HOST[:PORT]` URL, parsed. */
export interface SshTarget {
  /** The login name; absent: the one ~/.ssh/config or the local user gives. */
  readonly user?: string;
  /** A host name, an alias of ~/.ssh/config, or an IP address (IPv6 without brackets). */
  readonly host: string;
  readonly port?: number;
}

// No leading "-": a host or user that starts with one would be read by ssh as an option.
const HOST = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Parses `ssh://[USER@]HOST[:PORT]` (IPv6 hosts in brackets); anything else: why it is not one. */
export function parseSshUrl(url: string): SshTarget | { readonly invalid: string } {
  const match = /^ssh:\/\/(?:([^@/]*)@)?(\[[^\]]*\]|[^:/]*)(?::(\d*))?\/?$/.exec(url);
  if (!match) return { invalid: "it must be ssh://USER@HOST or ssh://USER@HOST:PORT" };
  const [, user, rawHost = "", rawPort] = match;
  const bracketed = rawHost.startsWith("[");
  const host = bracketed ? rawHost.slice(1, -1) : rawHost;
  if (host === "" || !(bracketed ? IPV6.test(host) && host.includes(":") : HOST.test(host))) return { invalid: `"${rawHost}" is not a host name or an IP address` };
  if (user !== undefined && !USER.test(user)) return { invalid: `"${user}" is not a user name` };
  let port: number | undefined;
  if (rawPort !== undefined) {
    port = Number(rawPort);
    if (rawPort === "" || !Number.isInteger(port) || port < 1 || port > 65535) return { invalid: `"${rawPort}" is not a port (1 to 65535)` };
  }
  return { ...(user !== undefined && { user }), host, ...(port !== undefined && { port }) };
}

/** `remotes.json` under `$XDG_CONFIG_HOME/hop3`, else `~/.config/hop3`. */
export function remotesFile(env: Readonly<Record<string, string | undefined>>): string {
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(config, "hop3", "remotes.json");
}
