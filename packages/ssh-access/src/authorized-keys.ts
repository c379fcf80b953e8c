import { chownSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { isValidAppName, shellQuote, UsageError, writeFileAtomic } from "@hop3/core/cli";
import { sshAccessError } from "./errors.js";

/** A deploy key: its name, the public key, and the apps it is limited to (none: every app). */
export interface DeployKey {
  readonly name: string;
  /** The key type, e.g. `ssh-ed25519`. */
  readonly type: string;
  /** The key's base64 blob. */
  readonly key: string;
  /** Apps its commands may name; absent: any app. */
  readonly apps?: readonly string[];
}

/** Key types sshd accepts for users (`ssh -Q key`), without certificates. */
const KEY_TYPES = new Set([
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
]);

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Checks a key name: a safe word, as it appears in the forced command, the comment and the audit log. */
export function checkKeyName(name: string): string {
  if (!NAME.test(name)) throw sshAccessError("SSH_KEY_NAME_INVALID", `${JSON.stringify(name)} is not a deploy key name.`, { details: { name } });
  return name;
}

/**
 * Reads a public key as people give it: one line `TYPE BASE64 [comment]`. Options before the type,
 * several lines, an unknown type, or a blob that is not base64 of a key of that type are refused:
 * the line is never copied as given, so nothing of it reaches authorized_keys but the type and blob.
 */
export function parsePublicKey(text: string): { type: string; key: string } {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  const invalid = (why: string): never => {
    throw sshAccessError("SSH_KEY_INVALID", `The public key is refused: ${why}.`);
  };
  if (lines.length !== 1) invalid(lines.length === 0 ? "it is empty" : `it has ${lines.length} lines, a key has one`);
  const [type = "", key = ""] = lines[0]!.trim().split(/[ \t]+/);
  if (!KEY_TYPES.has(type)) invalid(`${JSON.stringify(type.slice(0, 40))} is not a key type (${[...KEY_TYPES].join(", ")}); options before it are not taken`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || key.length % 4 !== 0) invalid("its second word is not base64");
  // The blob starts with its own type, as a length-prefixed string.
  const blob = Buffer.from(key, "base64");
  const length = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (length < 0 || blob.subarray(4, 4 + length).toString("latin1") !== type) invalid(`its blob is not a ${type} key`);
  return { type, key };
}

/** The parts of a line Hop3 wrote: the forced command, `restrict`, the key, `hop3:NAME`. */
const MANAGED_LINE = /^command="sudo -n (\S+) ssh-command --key ([A-Za-z0-9][A-Za-z0-9._-]{0,63})(?: --apps ([a-z0-9,-]+))?",restrict (\S+) (\S+) hop3:(\S+)$/;

/**
 * The authorized_keys line of a deploy key: sshd runs only the forced command (the command sent
 * is in SSH_ORIGINAL_COMMAND), and `restrict` turns off port, agent and X11 forwarding and the PTY.
 */
export function renderKeyLine(key: DeployKey, entry: string): string {
  const apps = key.apps && key.apps.length > 0 ? ` --apps ${key.apps.join(",")}` : "";
  // Inside command="...", sshd unescapes only \" ; the shell then reads the words shellQuote made.
  const command = `sudo -n ${shellQuote(entry)} ssh-command --key ${checkKeyName(key.name)}${apps}`.replaceAll('"', '\\"');
  return `command="${command}",restrict ${key.type} ${key.key} hop3:${key.name}`;
}

/** The contents of an authorized_keys file: Hop3's keys, and the lines it did not write, kept as they are. */
export interface KeysFile {
  readonly keys: DeployKey[];
  readonly otherLines: string[];
}

export function parseKeysFile(text: string): KeysFile {
  const keys: DeployKey[] = [];
  const otherLines: string[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const match = MANAGED_LINE.exec(line);
    if (match && match[2] === match[6]) {
      const apps = match[3]?.split(",").filter(isValidAppName);
      keys.push({ name: match[2]!, type: match[4]!, key: match[5]!, ...(apps && apps.length > 0 && { apps }) });
    } else otherLines.push(line);
  }
  return { keys, otherLines };
}

export function renderKeysFile(file: KeysFile, entry: string): string {
  return [...file.otherLines, ...file.keys.map((key) => renderKeyLine(key, entry))].map((line) => `${line}\n`).join("");
}

export function readKeysFile(path: string): KeysFile {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  return parseKeysFile(text);
}

/**
 * Writes the file whole (a temporary file beside it, owned and moded before it is renamed in), so
 * sshd reads the old keys or the new, never half, and never a file its owner check refuses.
 */
export function writeKeysFile(path: string, content: string, owner: { uid: number; gid: number } | undefined): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (owner) chownSync(dir, owner.uid, owner.gid);
  writeFileAtomic(path, content, 0o600, owner);
}

/** Checks an `--apps` list: app names, at least one. */
export function parseAppList(value: string): string[] {
  const apps = value.split(",").map((app) => app.trim()).filter(Boolean);
  const bad = apps.find((app) => !isValidAppName(app));
  if (apps.length === 0 || bad !== undefined) throw new UsageError(`--apps ${JSON.stringify(value)}: ${bad === undefined ? "no app named" : `${JSON.stringify(bad)} is not an app name`}; give app names separated by commas, e.g. --apps web,api`);
  return apps;
}
