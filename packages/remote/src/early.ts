import { readFileSync } from "node:fs";
import { parseSshUrl, remotesFile, type SshTarget } from "./address.js";
import { sshSettings, startEarlyMaster } from "./master.js";
import { REMOTE_COMMANDS } from "./remote-commands.js";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Starts the SSH connection of a command bound for a remote before anything else: `hop3`'s bin
 * calls it first, so the key exchange and authentication (about 200 ms) go on while Hop3's modules
 * load and the app is packed; `openSession` then takes the connection over. It loads node's own
 * modules only. Nothing runs on the server until the command is parsed: the connection alone is
 * opened (`ssh -M -N`), and closed when this process exits if the command did not use it.
 */
export function connectEarly(argv: readonly string[], env: Env): void {
  const target = earlyTarget(argv, env);
  if (target !== undefined) startEarlyMaster(target, sshSettings(env));
}

/**
 * The server a command goes to, read cheaply from its words and the file of remotes as `chosenRemote`
 * reads them (`--remote NAME`, HOP3_REMOTE, the default remote outside an SSH session); undefined
 * when it stays here, or when that cannot be told without Hop3's modules: a file of remotes that
 * cannot be read or an address that is wrong are left to the command, which says what is wrong.
 * `--help` stays here, the server's `--receive` too, and `--build-here` builds for a long time first.
 */
export function earlyTarget(argv: readonly string[], env: Env): SshTarget | undefined {
  const end = argv.indexOf("--");
  const words = end < 0 ? argv : argv.slice(0, end);
  if (!REMOTE_COMMANDS.has(words[0] ?? "")) return undefined;
  if (words.some((word) => word === "--help" || word === "-h" || word === "--build-here" || word === "--receive" || word.startsWith("--receive="))) return undefined;
  const at = words.indexOf("--remote");
  const named = at >= 0 ? words[at + 1] : (words.find((word) => word.startsWith("--remote="))?.slice("--remote=".length) ?? (env.HOP3_REMOTE || undefined));
  if (named === undefined && env.SSH_CONNECTION) return undefined;
  let file: { default?: unknown; remotes?: Record<string, { url?: unknown } | undefined> };
  try {
    file = JSON.parse(readFileSync(remotesFile(env), "utf8"));
  } catch {
    return undefined;
  }
  const name = named ?? file?.default;
  const url = typeof name === "string" && typeof file?.remotes === "object" ? file.remotes?.[name]?.url : undefined;
  if (typeof url !== "string") return undefined;
  const target = parseSshUrl(url);
  return "invalid" in target ? undefined : target;
}
