import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { defineCliCommand, Hop3Error, isValidAppName, lookupUser, resolveHop3Home, sshLoginOf, UsageError, type CliCommand, type CliIO } from "@hop3/core/cli";
import { appendAudit } from "./audit-log.js";
import { checkKeyName, parseAppList, parsePublicKey, readKeysFile, renderKeysFile, writeKeysFile, type DeployKey } from "./authorized-keys.js";
import { resolveSshRequest } from "./dispatch.js";
import { sshAccessError } from "./errors.js";
import { appRepository, commitToDeploy, exportCommit, prepareRepository, pushSizeLimit, receivePack } from "./git-push.js";
import { serveNixStore } from "./nix-store.js";

/** Runs a command line through the program these commands belong to, in this process: its exit code. */
export type RunCli = (argv: readonly string[], io: CliIO) => Promise<number>;

const ADD_USAGE = "hop3 keys add NAME KEY [--apps APP,...] [--json]";

/** The login user's authorized_keys, and who must own it. */
function keysTarget(env: CliIO["env"]) {
  const scope = { home: resolveHop3Home(env), env };
  const login = sshLoginOf(scope);
  const user = lookupUser(login.user);
  if (user === undefined) throw sshAccessError("SSH_LOGIN_MISSING", `There is no user ${login.user}, the login of deploy keys for ${scope.home}.`, { details: { user: login.user } });
  return { login, owner: process.getuid?.() === 0 ? { uid: user.uid, gid: user.gid } : undefined };
}

/** ssh-keygen -l's fingerprint: SHA256 of the key's blob, base64 without padding. */
const fingerprint = (key: DeployKey) => `SHA256:${createHash("sha256").update(Buffer.from(key.key, "base64")).digest("base64").replace(/=+$/, "")}`;
const describeKey = (key: DeployKey) => ({ name: key.name, type: key.type, fingerprint: fingerprint(key), apps: key.apps ?? null });

export const keysAddCommand = defineCliCommand({
  name: ["keys", "add"],
  summary: "Let a public key deploy over SSH: it runs hop3 commands and git push only (optionally for some apps)",
  usage: ADD_USAGE,
  options: { apps: { type: "string" } },
  maxPositionals: 4,
  async run({ args, io }) {
    const [name, ...keyWords] = args.positionals;
    if (name === undefined || keyWords.length === 0) throw new UsageError("give a name and a public key (a .pub file or its line)", ADD_USAGE);
    checkKeyName(name);
    // One word that is a file: the .pub file; else the key's line, quoted or as separate words.
    const given = keyWords.length === 1 && existsSync(resolve(io.cwd, keyWords[0]!)) ? readFileSync(resolve(io.cwd, keyWords[0]!), "utf8") : keyWords.join(" ");
    const publicKey = parsePublicKey(given);
    const apps = typeof args.values.apps === "string" ? parseAppList(args.values.apps) : undefined;
    const { login, owner } = keysTarget(io.env);
    const file = readKeysFile(login.keysFile);
    const clash = file.keys.find((key) => key.name === name || key.key === publicKey.key);
    if (clash) throw sshAccessError("SSH_KEY_EXISTS", clash.name === name ? `There is already a deploy key named ${name}.` : `This key is already there, named ${clash.name}.`, { details: { name: clash.name } });
    const key: DeployKey = { name, ...publicKey, ...(apps && { apps }) };
    writeKeysFile(login.keysFile, renderKeysFile({ ...file, keys: [...file.keys, key] }, login.entry), owner);
    return { data: { added: describeKey(key), file: login.keysFile }, text: [`${name} may deploy as ${login.user}${apps ? `, to ${apps.join(", ")} only` : ""}.`] };
  },
});

export const keysListCommand = defineCliCommand({
  name: ["keys", "list"],
  summary: "List the deploy keys and the apps each may act on",
  usage: "hop3 keys list [--json]",
  async run({ io }) {
    const { login } = keysTarget(io.env);
    const file = readKeysFile(login.keysFile);
    const keys = file.keys.map(describeKey);
    return {
      data: { keys, unmanagedLines: file.otherLines.length },
      text: [
        ...(keys.length === 0 ? ["No deploy keys."] : keys.map((k) => `${k.name}  ${k.type} ${k.fingerprint}  ${k.apps ? k.apps.join(",") : "all apps"}`)),
        ...(file.otherLines.length > 0 ? [`(${file.otherLines.length} other line(s) in ${login.keysFile} were not written by hop3 keys; they are left as they are.)`] : []),
      ],
    };
  },
});

export const keysRemoveCommand = defineCliCommand({
  name: ["keys", "remove"],
  summary: "Remove a deploy key",
  usage: "hop3 keys remove NAME [--json]",
  maxPositionals: 1,
  async run({ args, io }) {
    const name = checkKeyName(args.positionals[0] ?? "");
    const { login, owner } = keysTarget(io.env);
    const file = readKeysFile(login.keysFile);
    if (!file.keys.some((key) => key.name === name)) throw sshAccessError("SSH_KEY_NOT_FOUND", `There is no deploy key named ${name}.`, { details: { name } });
    writeKeysFile(login.keysFile, renderKeysFile({ ...file, keys: file.keys.filter((key) => key.name !== name) }, login.entry), owner);
    return { data: { removed: name }, text: [`${name} removed.`] };
  },
});

const LOGIN_HELP = [
  "This is a Hop3 server: deploy keys run hop3 commands and git push, never a shell.",
  "  ssh hop3@HOST hop3 --help         the commands",
  "  git push hop3@HOST:APP main       deploy a branch",
  "  hop3 remote add NAME ssh://hop3@HOST   (on your machine) run hop3 against this server",
].join("\n");

/**
 * `hop3 ssh-command --key NAME [--apps ...]`: sshd's forced command for a deploy key, run as root
 * through sudo. It reads SSH_ORIGINAL_COMMAND, decides (resolveSshRequest), logs, and runs it here.
 */
export function sshCommandCommand(runCli: RunCli): CliCommand {
  return defineCliCommand({
    name: ["ssh-command"],
    summary: "The forced command of deploy keys (run by sshd, not by people)",
    usage: "hop3 ssh-command --key NAME [--apps APP,...]",
    hidden: true,
    options: { key: { type: "string" }, apps: { type: "string" } },
    async run({ args, io, distribution }) {
      const key = checkKeyName(typeof args.values.key === "string" ? args.values.key : "");
      const limits = typeof args.values.apps === "string" ? parseAppList(args.values.apps) : undefined;
      const home = resolveHop3Home(io.env);
      const line = io.env.SSH_ORIGINAL_COMMAND;
      const from = io.env.SSH_CONNECTION?.split(" ").slice(0, 2).join(" ");
      const audit = { time: new Date().toISOString(), key, ...(from && { from }) };
      let request;
      try {
        if (line === undefined) {
          io.stderr.write(`${LOGIN_HELP}\n`);
          throw sshAccessError("SSH_COMMAND_MISSING", "No command was sent: a deploy key opens no shell.");
        }
        request = resolveSshRequest(line, limits);
      } catch (error) {
        appendAudit(home, { ...audit, ...(line !== undefined && { line: line.slice(0, 1000) }), outcome: "refused", ...(Hop3Error.is(error) && { code: error.code }) });
        throw error;
      }
      // A key's commands run on this server: never sent onwards to a remote of the server's (HOP3_REMOTE is a client's setting).
      delete process.env.HOP3_REMOTE;
      const env = Object.fromEntries(Object.entries(io.env).filter(([name]) => name !== "HOP3_REMOTE"));
      if (request.kind === "hop3") {
        appendAudit(home, { ...audit, argv: ["hop3", ...request.argv], outcome: "run" });
        return { data: {}, text: [], exitCode: await runCli(request.argv, { ...io, env }) };
      }
      if (request.kind === "nix-store-serve") {
        appendAudit(home, { ...audit, argv: ["nix-store", "--serve", "--write"], outcome: "run" });
        return { data: {}, text: [], exitCode: await serveNixStore(env) };
      }
      appendAudit(home, { ...audit, argv: ["git-receive-pack", request.app], outcome: "run" });
      const hop3Command = (await distribution()).operationContext().hop3Command;
      if (!hop3Command || hop3Command.length === 0) throw sshAccessError("GIT_PUSH_REFUSED", "This hop3 cannot say how to run itself again, which its receive hook needs.");
      pushSizeLimit(env); // a setting it cannot use is said before any repository is made
      const repo = await prepareRepository(home, request.app, hop3Command);
      return { data: {}, text: [], exitCode: await receivePack(repo, env) };
    },
  });
}

/**
 * `hop3 git-hook pre-receive APP`: the hook of an app's repository. Exports the pushed commit as the
 * app's source and deploys it through this same program; its lines reach the pusher as `remote:`.
 */
export function gitHookCommand(runCli: RunCli): CliCommand {
  return defineCliCommand({
    name: ["git-hook", "pre-receive"],
    summary: "The receive hook of git push deploys (run by git, not by people)",
    usage: "hop3 git-hook pre-receive APP",
    hidden: true,
    maxPositionals: 1,
    async run({ args, io }) {
      const app = args.positionals[0] ?? "";
      if (!isValidAppName(app)) throw sshAccessError("GIT_PUSH_REFUSED", `${JSON.stringify(app)} is not an app name.`, { details: { app } });
      const scope = { home: resolveHop3Home(io.env), env: io.env };
      const pushed = commitToDeploy(await readAll(process.stdin));
      const source = await exportCommit(scope, app, appRepository(scope.home, app), pushed.newId);
      // git's variables (GIT_DIR, the quarantine) are for this hook, never for the app's build.
      for (const name of Object.keys(process.env)) if (name.startsWith("GIT_")) delete process.env[name];
      const env = Object.fromEntries(Object.entries(io.env).filter(([name]) => !name.startsWith("GIT_")));
      io.stderr.write(`Deploying ${pushed.newId.slice(0, 12)} (${pushed.ref.replace("refs/heads/", "")}) to ${app}\n`);
      const code = await runCli(["deploy", source, "--app", app], { ...io, env });
      if (code !== 0) throw sshAccessError("GIT_PUSH_DEPLOY_FAILED", `The deploy of ${pushed.newId.slice(0, 12)} to ${app} failed; the push is refused.`, { details: { app, commit: pushed.newId } });
      return { data: { app, commit: pushed.newId }, text: [] };
    },
  });
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((done, fail) => {
    let text = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (text += chunk));
    stream.on("end", () => done(text));
    stream.on("error", fail);
  });
}

/** The keys commands, for any program. */
export const keysCommands: readonly CliCommand[] = [keysAddCommand, keysListCommand, keysRemoveCommand];

/** What sshd and git run: the forced command and the receive hook, both re-entering the program through `runCli`. */
export const sshEntryCommands = (runCli: RunCli): CliCommand[] => [sshCommandCommand(runCli), gitHookCommand(runCli)];
