import { readFileSync } from "node:fs";
import { writeFileAtomic } from "@hop3/core/cli";
import { parseSshUrl, remotesFile, type SshTarget } from "./address.js";
import { remoteError } from "./errors.js";

export { remotesFile, type SshTarget };

/** A server this machine deploys to. */
export interface Remote {
  readonly name: string;
  /** `ssh://USER@HOST[:PORT]`, as given to `hop3 remote add`. */
  readonly url: string;
  /** What runs Hop3 on the server (replaces the word `hop3`): a path, or `sudo -n hop3`. Default `hop3`. */
  readonly command: string;
}

/** The remotes of this machine, as kept in `remotes.json`. */
export interface RemotesFile {
  readonly default?: string;
  readonly remotes: Readonly<Record<string, { readonly url: string; readonly command?: string }>>;
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

export function checkRemoteName(name: string): string {
  if (!NAME.test(name)) throw remoteError("REMOTE_NAME_INVALID", `"${name}" is not a valid remote name.`, { details: { name } });
  return name;
}

/** Parses `ssh://[USER@]HOST[:PORT]` (IPv6 hosts in brackets); anything else is REMOTE_URL_INVALID. */
export function parseRemoteUrl(url: string): SshTarget {
  const target = parseSshUrl(url);
  if ("invalid" in target) throw remoteError("REMOTE_URL_INVALID", `"${url}" is not a remote address Hop3 can use: ${target.invalid}.`, { details: { url } });
  return target;
}

/** The remotes this machine knows (none when the file does not exist yet). */
export function readRemotes(env: Readonly<Record<string, string | undefined>>): RemotesFile {
  const file = remotesFile(env);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { remotes: {} };
    throw remoteError("REMOTES_FILE_INVALID", `${file} cannot be read: ${(error as Error).message}.`, { cause: error, details: { file } });
  }
  const invalid = (why: string) => remoteError("REMOTES_FILE_INVALID", `${file} is not a file of remotes: ${why}.`, { details: { file } });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid((error as Error).message);
  }
  if (typeof parsed !== "object" || parsed === null || typeof (parsed as RemotesFile).remotes !== "object" || (parsed as RemotesFile).remotes === null) throw invalid('it has no "remotes" object');
  const { default: defaultName, remotes } = parsed as RemotesFile;
  for (const [name, remote] of Object.entries(remotes)) {
    if (!NAME.test(name) || typeof remote?.url !== "string" || (remote.command !== undefined && typeof remote.command !== "string")) throw invalid(`the remote "${name}" is not { "url": ..., "command": ... }`);
  }
  if (defaultName !== undefined && !(typeof defaultName === "string" && defaultName in remotes)) throw invalid(`its default, ${JSON.stringify(defaultName)}, is not one of its remotes`);
  return { ...(defaultName !== undefined && { default: defaultName }), remotes };
}

/** Writes the remotes atomically, readable by this user only (they say where and as whom you log in). */
export function writeRemotes(env: Readonly<Record<string, string | undefined>>, file: RemotesFile): void {
  writeFileAtomic(remotesFile(env), `${JSON.stringify(file, null, 2)}\n`, 0o600);
}

const asRemote = (name: string, entry: RemotesFile["remotes"][string]): Remote => ({ name, url: entry.url, command: entry.command ?? "hop3" });

export function listRemotes(env: Readonly<Record<string, string | undefined>>): { remotes: Remote[]; default?: string } {
  const file = readRemotes(env);
  return { remotes: Object.entries(file.remotes).map(([name, entry]) => asRemote(name, entry)), ...(file.default !== undefined && { default: file.default }) };
}

/** Adds a remote; the first one added becomes the default. */
export function addRemote(env: Readonly<Record<string, string | undefined>>, name: string, url: string, command = "hop3"): Remote {
  checkRemoteName(name);
  parseRemoteUrl(url);
  if (command.trim() === "" || command.includes("\n") || command.includes("\0")) throw remoteError("REMOTE_URL_INVALID", `--command must be a command line of one line.`, { hint: "Give the path of hop3 on the server, or `sudo -n hop3`.", details: { command } });
  const file = readRemotes(env);
  if (name in file.remotes) throw remoteError("REMOTE_EXISTS", `A remote named "${name}" exists already (${file.remotes[name]!.url}).`, { details: { name } });
  const remotes = { ...file.remotes, [name]: command === "hop3" ? { url } : { url, command } };
  writeRemotes(env, { default: file.default ?? name, remotes });
  return asRemote(name, remotes[name]!);
}

/** Removes a remote; when it was the default, there is none after. */
export function removeRemote(env: Readonly<Record<string, string | undefined>>, name: string): Remote {
  const file = readRemotes(env);
  const entry = file.remotes[name];
  if (entry === undefined) throw unknownRemote(name);
  const { [name]: _removed, ...remotes } = file.remotes;
  writeRemotes(env, { ...(file.default !== undefined && file.default !== name && { default: file.default }), remotes });
  return asRemote(name, entry);
}

export function setDefaultRemote(env: Readonly<Record<string, string | undefined>>, name: string): Remote {
  const file = readRemotes(env);
  const entry = file.remotes[name];
  if (entry === undefined) throw unknownRemote(name);
  writeRemotes(env, { default: name, remotes: file.remotes });
  return asRemote(name, entry);
}

export function findRemote(env: Readonly<Record<string, string | undefined>>, name: string): Remote {
  const entry = readRemotes(env).remotes[name];
  if (entry === undefined) throw unknownRemote(name);
  return asRemote(name, entry);
}

/**
 * The remote a command runs against: `--remote NAME`, else HOP3_REMOTE, else the default remote,
 * except inside an SSH session (SSH_CONNECTION set), where Hop3 runs on the server it was asked on:
 * a command forwarded to a server never goes further on that server's own default.
 */
export function chosenRemote(env: Readonly<Record<string, string | undefined>>, option: string | undefined): Remote | undefined {
  const named = option ?? (env.HOP3_REMOTE || undefined);
  if (named !== undefined) return findRemote(env, named);
  if (env.SSH_CONNECTION) return undefined;
  const file = readRemotes(env);
  return file.default === undefined ? undefined : asRemote(file.default, file.remotes[file.default]!);
}

const unknownRemote = (name: string) => remoteError("REMOTE_UNKNOWN", `There is no remote named "${name}".`, { details: { name } });
