import { isValidAppName } from "@hop3/core";
import { redisError } from "./errors.js";

/** Hop3's own user: every key and command. `_` keeps it apart from app users, whose names hold none. */
export const ADMIN_USER = "hop3_admin";

/**
 * Checks an instance or app name before it reaches an ACL rule, a key pattern or a file name: a
 * DNS label (core's app name pattern) holds no space, `*`, `?`, `[`, `~`, `&`, `>`, `:` or `.`, so
 * `<instance>:*` matches the instance's keys only and `<instance>.<app>` names one attachment.
 */
export function checkName(kind: "instance" | "app", name: string): void {
  if (typeof name === "string" && isValidAppName(name)) return;
  throw redisError("REDIS_NAME_INVALID", `The ${kind} name ${JSON.stringify(name)} is not valid: it must be a DNS label (lowercase letters, digits and hyphens, at most 63 characters).`, {
    details: { kind, name },
  });
}

/** Every key of an instance starts with this; apps get it as REDIS_PREFIX. */
export const keyPrefix = (instance: string): string => `${instance}:`;

/**
 * The ACL user of one attachment. One user per attached app, not one per instance: detaching an
 * app deletes its user (and closes its connections) while the other apps of the instance keep theirs.
 */
export const attachmentUser = (instance: string, app: string): string => `${instance}.${app}`;

/** Whether an ACL user is one of an instance's attachments. */
export const isUserOf = (user: string, instance: string): boolean => user.startsWith(`${instance}.`) && isValidAppName(user.slice(instance.length + 1));

/**
 * The rules of an attachment's user, after `reset`: its password, the instance's keys and channels
 * only, and every command but those that reach past them:
 * - @admin and @dangerous: CONFIG, DEBUG, MODULE, SHUTDOWN, FLUSHALL, FLUSHDB, MONITOR, CLIENT
 *   LIST/KILL, SLOWLOG, ACL changes, REPLICAOF, MIGRATE, KEYS, SORT on others' keys...
 * - KEYS, SCAN and RANDOMKEY: an ACL key pattern does not filter what they list, and key names
 *   (session ids, e-mail addresses) are data;
 * - CLIENT TRACKING: in broadcast mode it reports every key that changes, others' included;
 * - PUBSUB (lists every channel), FUNCTION (one library namespace for all users), SCRIPT KILL/FLUSH
 *   (another user's script, everyone's cache), ACL (even WHOAMI: nothing of it is an app's business);
 * - SELECT, SWAPDB, MOVE and COPY: the server has one database, and nothing may leave the prefix.
 * INFO stays allowed although @dangerous: client libraries read the server's version from it, and
 * it shows counts, never keys or values.
 */
export function attachmentRules(instance: string, password: string): string[] {
  const prefix = keyPrefix(instance);
  return [
    "reset",
    "on",
    `>${password}`,
    `~${prefix}*`,
    `&${prefix}*`,
    "+@all",
    "-@admin",
    "-@dangerous",
    "+info",
    "-keys",
    "-scan",
    "-randomkey",
    "-client|tracking",
    "-pubsub",
    "-function",
    "-script|kill",
    "-script|flush",
    "-acl",
    "-select",
    "-swapdb",
    "-move",
    "-copy",
  ];
}
