import { isValidAppName } from "@hop3/core/cli";
import { sshAccessError } from "./errors.js";
import { parseShellWords } from "./shell-words.js";

/**
 * What a command sent through a deploy key runs: a hop3 command, the server side of `git push`, or
 * the server side of `nix-copy-closure --to` (what `hop3 deploy --build-here` sends).
 */
export type SshRequest =
  | { readonly kind: "hop3"; readonly argv: readonly string[] }
  | { readonly kind: "git-receive-pack"; readonly app: string }
  | { readonly kind: "nix-store-serve" };

/** Exactly what nix-copy-closure --to (Nix's legacy ssh:// store) runs on the far side to import paths. */
const NIX_STORE_SERVE = ["nix-store", "--serve", "--write"];

/**
 * The hop3 commands a deploy key may run: the life of apps, and what tells the client about the
 * server. Preparing the server (`setup`, `server`, `doctor`), managing keys and plugin commands are
 * for root on the server, never through a key.
 */
const KEY_COMMANDS = new Set([
  "apps",
  "deploy",
  "build",
  "plan",
  "validate",
  "status",
  "logs",
  "config",
  "scale",
  "releases",
  "rollback",
  "restart",
  "stop",
  "start",
  "destroy",
  "domains",
  "addons",
  "plugins",
  // As the app's own user, never root: what a key that deploys the app can run anyway.
  "run",
  "backup",
]);
/** Commands that name no app and reveal none: a limited key runs them too. */
const ABOUT_THE_SERVER = new Set(["version", "--version", "-V", "help", "--help", "-h", "plugins"]);
/** Commands that take the app as an option (their positional is a directory on the server). */
const APP_AS_OPTION = new Set(["deploy", "build", "plan", "validate"]);
/** Options of those commands that take the next word as their value. */
const VALUE_OPTIONS = new Set(["--builder", "--env", "--store-path"]);
/** Commands whose second word is a verb (`config set APP`). */
const VERBS: Readonly<Record<string, readonly string[]>> = { config: ["show", "get", "set", "unset"], domains: ["add", "remove"], backup: ["create", "list", "restore"] };

/**
 * Decides what a deploy key's command line runs, before anything runs: parsed strictly
 * (parseShellWords), `hop3 ...` with an allowed command or `git-receive-pack 'APP'`, and for a key
 * limited to apps, a command that names one of them. `hop3 apps`, which names none and would list
 * every app, is refused to a limited key.
 */
export function resolveSshRequest(line: string, limits: readonly string[] | undefined): SshRequest {
  const words = parseShellWords(line);
  const [program, ...rest] = words;
  if (program === "git-receive-pack") {
    if (rest.length !== 1) refuse("git-receive-pack takes one repository");
    // `hop3@host:app`, `ssh://hop3@host/app` and `app.git` all name the app.
    const app = rest[0]!.replace(/^\/+/, "").replace(/\/+$/, "").replace(/\.git$/, "");
    if (!isValidAppName(app)) throw sshAccessError("GIT_PUSH_REFUSED", `${JSON.stringify(rest[0])} is not an app name.`, { details: { repository: rest[0] } });
    checkApps(limits, [app]);
    return { kind: "git-receive-pack", app };
  }
  if (program === "nix-store") {
    if (words.length !== NIX_STORE_SERVE.length || words.some((word, i) => word !== NIX_STORE_SERVE[i])) refuse(`only \`${NIX_STORE_SERVE.join(" ")}\` (nix-copy-closure --to) is run of nix-store`);
    // Paths imported into the shared store can be any app's build, or stand in for another's: only a key that may deploy every app imports.
    if (limits !== undefined) {
      throw sshAccessError("SSH_KEY_NIX_STORE_DENIED", `This key is limited to ${limits.join(", ")}: it may not copy Nix store paths to the server.`, { details: { apps: limits } });
    }
    return { kind: "nix-store-serve" };
  }
  if (program !== "hop3") refuse(program === undefined ? "the command is empty" : `${JSON.stringify(program.slice(0, 40))} is not hop3`);
  // A remote client's protocol comes first (@hop3/remote's handshake): kept for hop3, not a command to check.
  const handshake = rest[0]?.startsWith("--protocol=") ? rest.slice(0, 1) : [];
  const given = rest.slice(handshake.length);
  const argv = given.length === 0 ? ["--help"] : given;
  const command = argv[0]!;
  const request = { kind: "hop3", argv: [...handshake, ...argv] } as const;
  if (ABOUT_THE_SERVER.has(command)) return request;
  if (!KEY_COMMANDS.has(command)) refuse(`\`hop3 ${command.slice(0, 40)}\` is not run through a deploy key`);
  // The server's own remotes are root's: a key never makes the server connect onwards with them.
  if (argv.some((word) => word === "--remote" || word.startsWith("--remote="))) refuse("--remote is not run through a deploy key");
  // Addons are shared by name across apps: a key limited to apps could attach another app's database to its own.
  if (limits !== undefined && command === "addons") refuse("addons are managed with a key not limited to apps");
  if (limits !== undefined) checkApps(limits, namedApps(argv));
  return request;
}

/** The apps a command line names, as its command reads them; empty when it names none. */
function namedApps(argv: readonly string[]): string[] {
  const [command, ...rest] = argv as [string, ...string[]];
  if (APP_AS_OPTION.has(command)) {
    // A limited key sends its app (`--app`, or `--receive` for an upload), never a server path.
    const apps: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const word = rest[i]!;
      const inline = /^--(?:app|receive)=(.*)$/.exec(word);
      if (inline) apps.push(inline[1]!);
      else if (word === "--app" || word === "--receive") {
        if (rest[i + 1] !== undefined) apps.push(rest[i + 1]!);
        i++;
      } else if (VALUE_OPTIONS.has(word)) i++;
      else if (!word.startsWith("-")) refuse(`a key limited to apps cannot name a directory on the server in \`hop3 ${command}\``);
    }
    return apps;
  }
  const verbs = VERBS[command];
  const skip = verbs !== undefined && rest[0] !== undefined && verbs.includes(rest[0]) ? 1 : 0;
  const app = rest[skip];
  // The app is the word right after the command: an option first could make a later word the app.
  return app === undefined || app.startsWith("-") ? [] : [app];
}

function checkApps(limits: readonly string[] | undefined, named: readonly string[]): void {
  if (limits === undefined) return;
  if (named.length === 0) {
    throw sshAccessError("SSH_KEY_APP_DENIED", `This key is limited to ${limits.join(", ")}, and the command names no app.`, { details: { apps: limits } });
  }
  const other = named.find((app) => !limits.includes(app));
  if (other !== undefined) throw sshAccessError("SSH_KEY_APP_DENIED", `This key is limited to ${limits.join(", ")}; it may not act on ${other}.`, { details: { app: other, apps: limits } });
}

function refuse(why: string): never {
  throw sshAccessError("SSH_COMMAND_REFUSED", `Refused: ${why}.`);
}
