import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { ensureAppUser, ensureDir, Hop3Error, lockApp, prepareAppDirs, prepareHome, replaceAppSource, runsAsRoot, shellQuote, writeFileAtomic, type UserScope } from "@hop3/core/cli";
import { sshAccessError } from "./errors.js";

/** `<HOP3_HOME>/git/<app>.git`: the bare repository `git push` writes to (root's, 0700). */
export const appRepository = (home: string, app: string): string => join(resolve(home), "git", `${app}.git`);

const HOOK_MARKER = "# Made by Hop3";

/**
 * The pre-receive hook: Hop3's own, rewritten before every push (an app never writes it). It runs
 * this hop3 again with the pushed refs on stdin; its exit code accepts or refuses the push.
 */
export function renderPreReceiveHook(hop3Command: readonly string[], app: string): string {
  return ["#!/bin/sh", `${HOOK_MARKER}: deploys the pushed commit; a failed deploy refuses the push.`, `exec ${[...hop3Command, "git-hook", "pre-receive", app].map(shellQuote).join(" ")}`, ""].join("\n");
}

/** Makes the app's repository on its first push, and (re)writes Hop3's hook in it. */
export async function prepareRepository(home: string, app: string, hop3Command: readonly string[]): Promise<string> {
  const repo = appRepository(home, app);
  ensureDir(join(resolve(home), "git"), { mode: 0o700, ...(runsAsRoot() && { uid: 0, gid: 0 }) });
  if (!existsSync(join(repo, "HEAD"))) {
    await git(["init", "--bare", "--quiet", "--initial-branch=main", repo]);
    chmodSync(repo, 0o700);
    // Objects are checked as they come (no tree may hold `..` or `.git`); branches are never deleted by a push.
    for (const [key, value] of [["receive.fsckObjects", "true"], ["receive.denyDeletes", "true"], ["receive.denyNonFastForwards", "false"]] as const) await git(["-C", repo, "config", key, value]);
  }
  writeFileAtomic(join(repo, "hooks", "pre-receive"), renderPreReceiveHook(hop3Command, app), 0o700);
  return repo;
}

/** What one push may send unless HOP3_UPLOAD_MAX_SIZE says otherwise: the limit of an upload (git's units). */
const DEFAULT_PUSH_MAX = "1g";

/** HOP3_UPLOAD_MAX_SIZE ("500M", "2G", bytes) as git's receive.maxInputSize, else 1 GiB. */
export function pushSizeLimit(env: Readonly<Record<string, string | undefined>>): string {
  const set = env.HOP3_UPLOAD_MAX_SIZE;
  if (set === undefined || set === "") return DEFAULT_PUSH_MAX;
  if (!/^[1-9][0-9]*[kKmMgG]?$/.test(set)) {
    throw new Hop3Error({
      code: "HOP3_SETTING_INVALID",
      message: `HOP3_UPLOAD_MAX_SIZE is ${JSON.stringify(set)}; it must be a size such as "500M", "2G" or a number of bytes.`,
      hint: "Fix or unset HOP3_UPLOAD_MAX_SIZE in the environment of the server's hop3 (its entry, <HOP3_HOME>/bin/hop3, made by hop3 setup).",
      details: { setting: "HOP3_UPLOAD_MAX_SIZE", value: set },
    });
  }
  return set.toLowerCase();
}

/**
 * Runs git-receive-pack on the app's repository with this process's stdin and stdout (the ssh
 * channel). A push past the size limit is cut off by git before its objects are kept.
 */
export function receivePack(repo: string, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const limit = pushSizeLimit(env);
  return new Promise((resolvePush, reject) => {
    const child = spawn("git", ["-c", `receive.maxInputSize=${limit}`, "receive-pack", repo], { stdio: "inherit", env: env as NodeJS.ProcessEnv });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolvePush(code ?? (signal ? 128 : 1)));
  });
}

/** One line of what pre-receive reads: a ref's old and new commit. */
export interface PushedRef {
  readonly oldId: string;
  readonly newId: string;
  readonly ref: string;
}

const ZERO = /^0+$/;

/** The commit to deploy: the one branch pushed. Tags, deletions and several refs at once are refused. */
export function commitToDeploy(lines: string): PushedRef {
  const refs = lines
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [oldId = "", newId = "", ref = ""] = line.trim().split(" ");
      return { oldId, newId, ref };
    });
  if (refs.length !== 1) throw sshAccessError("GIT_PUSH_REFUSED", `${refs.length} refs were pushed; push one branch (git push hop3 main).`, { details: { refs: refs.map((r) => r.ref) } });
  const [pushed] = refs as [PushedRef];
  if (!pushed.ref.startsWith("refs/heads/")) throw sshAccessError("GIT_PUSH_REFUSED", `${pushed.ref} is not a branch; push a branch (git push hop3 main).`, { details: { ref: pushed.ref } });
  if (ZERO.test(pushed.newId)) throw sshAccessError("GIT_PUSH_REFUSED", `Deleting ${pushed.ref} is not a deploy.`, { details: { ref: pushed.ref } });
  if (!/^[0-9a-f]{40,64}$/.test(pushed.newId)) throw sshAccessError("GIT_PUSH_REFUSED", `${JSON.stringify(pushed.newId)} is not a commit id.`);
  return pushed;
}

/**
 * Makes the pushed commit the app's source: `git archive` of the commit (read from git's
 * quarantine, the push not yet accepted), unpacked by tar as the app's user into a directory beside
 * the source, then swapped in whole (replaceAppSource). Returns the source directory.
 */
export async function exportCommit(scope: UserScope, app: string, repo: string, commit: string): Promise<string> {
  prepareHome(scope);
  const user = ensureAppUser(scope, app);
  const { appDir } = prepareAppDirs(scope, app, user);
  const staging = mkdtempSync(join(appDir, ".source-"));
  try {
    if (user.dedicated) ensureDir(staging, { mode: 0o700, uid: user.uid, gid: user.gid });
    await new Promise<void>((done, fail) => {
      const archive = spawn("git", ["-C", repo, "archive", "--format=tar", commit], { stdio: ["ignore", "pipe", "inherit"] });
      // The app's files are written by its user: whatever the tree holds, tar cannot write as root.
      const tar = spawn("tar", ["-x", "--no-same-owner", "-C", staging], { stdio: ["pipe", "inherit", "inherit"], ...(user.dedicated && { uid: user.uid, gid: user.gid }) });
      archive.stdout.pipe(tar.stdin);
      let pending = 2;
      const failures: string[] = [];
      const finished = (what: string) => (code: number | null) => {
        if (code !== 0) failures.push(`${what} exited with ${code}`);
        if (--pending === 0) (failures.length === 0 ? done() : fail(new Error(failures.join("; "))));
      };
      archive.on("error", fail).on("exit", finished("git archive"));
      tar.on("error", fail).on("exit", finished("tar"));
    });
    // Under the app's lock: never swapped while a deploy of the app reads it (that push is APP_BUSY).
    const release = lockApp(scope.home, app, "git push", { create: true });
    try {
      return replaceAppSource(scope.home, app, staging);
    } finally {
      release();
    }
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

function git(args: readonly string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn("git", [...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", fail);
    child.on("exit", (code) => (code === 0 ? done() : fail(new Error(`git ${args.join(" ")} exited with ${code}: ${stderr.trim()}`))));
  });
}
