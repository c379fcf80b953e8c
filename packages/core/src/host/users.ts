import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { userInfo } from "node:os";
import { coreError } from "../error-codes.js";
import { isValidAppName } from "../schemas/names.js";
import { appStateDir, SYSTEM_HOME } from "../home.js";

/**
 * Who an app's processes run as: its builds, before-run commands, workers, cron and one-off
 * commands. When Hop3 runs as root each app has a system user and group of its own; otherwise
 * (a single-user install) every app runs as the user running Hop3.
 */
export interface AppUser {
  /** The login name (`hop3-<app>`, shortened with a hash past 32 characters). */
  readonly name: string;
  readonly uid: number;
  /** The app's own group: the app user and Hop3's web user are its only members. */
  readonly gid: number;
  /** HOME of the app's processes: `<HOP3_HOME>/apps/<app>/data`, the app's own writable directory. */
  readonly home: string;
  /** False in a single-user install: the "app user" is the user running Hop3. */
  readonly dedicated: boolean;
}

/** What a user-management function needs: HOP3_HOME and the environment Hop3 runs in. */
export interface UserScope {
  readonly home: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Linux login names hold at most 32 characters (useradd's limit). */
const MAX_USER_NAME = 32;
const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,9}$/;
const GECOS_PREFIX = "Hop3 app";

/** True when Hop3 runs as root, so that it makes a user per app. */
export const runsAsRoot = (): boolean => process.getuid?.() === 0;

/**
 * The prefix of this HOP3_HOME's user names: HOP3_USER_PREFIX, else `hop3` for the system home
 * (/var/lib/hop3), else `h3` and 6 hex digits of the home's path, so two homes on one machine
 * (tests, staging beside production) never share a user.
 */
export function userPrefix(scope: UserScope): string {
  const set = scope.env.HOP3_USER_PREFIX;
  if (set !== undefined && set !== "") {
    if (!PREFIX_PATTERN.test(set)) {
      throw coreError("HOP3_SETTING_INVALID", `HOP3_USER_PREFIX is ${JSON.stringify(set)}; it must be 1 to 10 lowercase letters and digits, starting with a letter.`, {
        details: { setting: "HOP3_USER_PREFIX", value: set },
      });
    }
    return set;
  }
  const home = resolve(scope.home);
  return home === SYSTEM_HOME ? "hop3" : `h3${createHash("sha256").update(home).digest("hex").slice(0, 6)}`;
}

/** The login name of an app's user: `<prefix>-<app>`, or a shortened name ending in a hash when that is too long. */
export function appUserName(app: string, prefix: string): string {
  const full = `${prefix}-${app}`;
  if (full.length <= MAX_USER_NAME) return full;
  const hash = createHash("sha256").update(app).digest("hex").slice(0, 8);
  const keep = MAX_USER_NAME - prefix.length - 2 - hash.length;
  return `${prefix}-${app.slice(0, keep).replace(/-+$/, "")}-${hash}`;
}

/**
 * The user Hop3's proxy (nginx) runs as: a member of every app's group, so it reads what apps
 * publish (their release trees), never their data, env or logs. `_` keeps it apart from app users,
 * whose names are `<prefix>-<app>`.
 */
export const webUserName = (prefix: string): string => `${prefix}_web`;

/** An app's data directory, its users' HOME. */
export const appDataDir = (home: string, app: string): string => join(appStateDir(resolve(home), app), "data");

/** One line of /etc/passwd. */
export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly gecos: string;
  readonly home: string;
}

/**
 * Reads a user from /etc/passwd. Hop3's users are made by useradd, so they are local accounts:
 * reading the file costs microseconds where `getent` costs a process.
 */
export function lookupUser(name: string, passwd = "/etc/passwd"): PasswdEntry | undefined {
  let text: string;
  try {
    text = readFileSync(passwd, "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const fields = line.split(":");
    if (fields[0] === name && fields.length >= 7) {
      return { name, uid: Number(fields[2]), gid: Number(fields[3]), gecos: fields[4] ?? "", home: fields[5] ?? "" };
    }
  }
  return undefined;
}

/** A group's id and members, from /etc/group. */
export function lookupGroup(name: string, groupFile = "/etc/group"): { gid: number; members: string[] } | undefined {
  let text: string;
  try {
    text = readFileSync(groupFile, "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const fields = line.split(":");
    if (fields[0] === name && fields.length >= 4) return { gid: Number(fields[2]), members: (fields[3] ?? "").split(",").filter(Boolean) };
  }
  return undefined;
}

/**
 * The app's user, made if it does not exist yet. As root: a system user and group named by
 * `appUserName`, HOME at the app's data directory, no login shell, no password, and Hop3's web
 * user added to its group. A user of that name that Hop3 did not make for this app (another home,
 * a person's account) is APP_USER_CONFLICT, never taken over. Not root: the user running Hop3.
 */
export function ensureAppUser(scope: UserScope, app: string): AppUser {
  checkApp(app);
  const data = appDataDir(scope.home, app);
  if (!runsAsRoot()) return currentUser(data);
  const prefix = userPrefix(scope);
  const name = appUserName(app, prefix);
  let entry = lookupUser(name);
  if (entry === undefined) {
    userCommand("useradd", ["--system", "--user-group", "--no-create-home", "--no-log-init", "--home-dir", data, "--shell", "/usr/sbin/nologin", "--comment", `${GECOS_PREFIX} ${app}`, name], app);
    entry = lookupUser(name);
    if (entry === undefined) throw userFailed(app, `useradd made no user named ${name}`);
  } else if (entry.home !== data || !entry.gecos.startsWith(GECOS_PREFIX)) {
    throw coreError("APP_USER_CONFLICT", `The user ${name} already exists and is not the user of app "${app}" in ${resolve(scope.home)} (its home is ${entry.home}).`, {
      details: { app, user: name, userHome: entry.home, expectedHome: data },
    });
  }
  addToGroup(ensureWebUser(scope), name, app);
  return { name, uid: entry.uid, gid: entry.gid, home: data, dedicated: true };
}

/** The app's user if it exists (undefined when none was made yet). Never makes one. */
export function findAppUser(scope: UserScope, app: string): AppUser | undefined {
  checkApp(app);
  const data = appDataDir(scope.home, app);
  if (!runsAsRoot()) return currentUser(data);
  const name = appUserName(app, userPrefix(scope));
  const entry = lookupUser(name);
  if (entry === undefined || entry.home !== data) return undefined;
  return { name, uid: entry.uid, gid: entry.gid, home: data, dedicated: true };
}

/**
 * Removes the app's user and its group (`destroy`). The caller has stopped every process of the app
 * first: userdel refuses a user that still runs something. Nothing to do when there is none, or
 * in a single-user install.
 */
export function removeAppUser(scope: UserScope, app: string): boolean {
  const user = findAppUser(scope, app);
  if (user === undefined || !user.dedicated) return false;
  userCommand("userdel", [user.name], app);
  // userdel keeps a group that still has members: the web user is one.
  if (lookupGroup(user.name) !== undefined) userCommand("groupdel", [user.name], app);
  return true;
}

/** The web user (see webUserName), made if missing. Its HOME is HOP3_HOME; it cannot log in. */
export function ensureWebUser(scope: UserScope): string {
  const name = webUserName(userPrefix(scope));
  if (lookupUser(name) === undefined) {
    userCommand("useradd", ["--system", "--user-group", "--no-create-home", "--no-log-init", "--home-dir", resolve(scope.home), "--shell", "/usr/sbin/nologin", "--comment", "Hop3 web (nginx workers)", name], "");
  }
  return name;
}

/**
 * The system user one of Hop3's own servers runs as (`<prefix>_<service>`: PostgreSQL, Redis),
 * made if missing: no login, HOME at HOP3_HOME, in no app's group. Not root: the user running Hop3.
 */
export function ensureServiceUser(scope: UserScope, service: string): AppUser {
  if (!runsAsRoot()) return currentUser(resolve(scope.home));
  const name = `${userPrefix(scope)}_${service}`;
  if (lookupUser(name) === undefined) {
    userCommand("useradd", ["--system", "--user-group", "--no-create-home", "--no-log-init", "--home-dir", resolve(scope.home), "--shell", "/usr/sbin/nologin", "--comment", `Hop3 service ${service}`, name], "");
  }
  const entry = lookupUser(name)!;
  return { name, uid: entry.uid, gid: entry.gid, home: resolve(scope.home), dedicated: true };
}

/** The web user's name when Hop3 runs as root (it exists after the first deploy), else undefined. */
export const webUserOf = (scope: UserScope): string | undefined => (runsAsRoot() ? webUserName(userPrefix(scope)) : undefined);

function addToGroup(member: string, group: string, app: string): void {
  if (lookupGroup(group)?.members.includes(member)) return;
  userCommand("gpasswd", ["--add", member, group], app);
}

function currentUser(data: string): AppUser {
  const info = userInfo();
  return { name: info.username, uid: info.uid, gid: info.gid, home: data, dedicated: false };
}

/**
 * Runs useradd, userdel or gpasswd. They lock /etc/passwd and /etc/group and give up at once when
 * another one holds the lock (exit 10, or "cannot lock"), which parallel deploys make likely: try
 * again for a few seconds.
 */
function userCommand(program: string, args: readonly string[], app: string): void {
  const deadline = Date.now() + 10_000;
  for (let attempt = 0; ; attempt++) {
    const result = spawnSync(program, args, { encoding: "utf8", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C" } });
    if (result.error) throw userFailed(app, `${program} could not be run: ${result.error.message}`, result.error);
    if (result.status === 0) return;
    const output = `${result.stderr ?? ""}${result.stdout ?? ""}`.trim();
    const locked = result.status === 10 || /cannot lock|try again later|unable to lock/i.test(output);
    if (!locked || Date.now() > deadline) throw userFailed(app, `\`${program} ${args.join(" ")}\` exited with code ${result.status}: ${output || "no output"}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(50 * (attempt + 1), 500));
  }
}

function userFailed(app: string, why: string, cause?: unknown) {
  return coreError("APP_USER_FAILED", `The system user of app "${app || "(Hop3's web user)"}" could not be set up: ${why}.`, {
    ...(cause !== undefined && { cause }),
    details: { app },
  });
}

function checkApp(app: string): void {
  if (!isValidAppName(app)) {
    throw coreError("APP_NAME_INVALID", `${JSON.stringify(app)} is not a valid app name.`, { details: { app } });
  }
}
