import { defineCliCommand, UsageError } from "@hop3/core/cli";
import { addRemote, listRemotes, parseRemoteUrl, removeRemote, setDefaultRemote, type Remote } from "./remotes.js";

const shown = (remote: Remote) => ({ name: remote.name, url: remote.url, command: remote.command });

/** The `git remote add` line for pushing an app to this remote (the app's name is the repository). */
export function gitRemoteFor(remote: Remote): string {
  const target = parseRemoteUrl(remote.url);
  const host = target.host.includes(":") ? `[${target.host}]` : target.host;
  return `git remote add hop3 ssh://${target.user !== undefined ? `${target.user}@` : ""}${host}${target.port !== undefined ? `:${target.port}` : ""}/APP`;
}

export const remoteAddCommand = defineCliCommand({
  name: ["remote", "add"],
  summary: "Remember a server to deploy to: hop3 remote add NAME ssh://USER@HOST[:PORT]",
  usage: "hop3 remote add NAME ssh://USER@HOST[:PORT] [--command CMD] [--json]",
  description: "The first remote added becomes the default. --command says what runs Hop3 on the server (default `hop3`): a path, or `sudo -n hop3`.",
  options: { command: { type: "string", valueName: "CMD", description: "what runs hop3 on the server (default: hop3)" } },
  positionals: [
    { name: "NAME", description: "a short name: lowercase letters, digits, hyphens" },
    { name: "URL", description: "ssh://USER@HOST or ssh://USER@HOST:PORT" },
  ],
  async run({ args, io }) {
    const [name = "", url = ""] = args.positionals;
    const remote = addRemote(io.env, name, url, typeof args.values.command === "string" ? args.values.command : undefined);
    const git = gitRemoteFor(remote);
    return {
      data: { remote: shown(remote), gitRemote: git },
      text: [`Added remote ${remote.name} (${remote.url}).`, `Deploy with: hop3 deploy --remote ${remote.name}`, `For git push, in the app's repository (APP: its name): ${git}`],
    };
  },
});

export const remoteListCommand = defineCliCommand({
  name: ["remote", "list"],
  summary: "List the servers this machine deploys to",
  usage: "hop3 remote list [--json]",
  async run({ io }) {
    const { remotes, default: defaultName } = listRemotes(io.env);
    return {
      data: { default: defaultName ?? null, remotes: remotes.map(shown) },
      text: remotes.length === 0 ? ["No remotes: add one with `hop3 remote add NAME ssh://USER@HOST[:PORT]`."] : remotes.map((r) => `${r.name === defaultName ? "*" : " "} ${r.name}  ${r.url}${r.command === "hop3" ? "" : `  (command: ${r.command})`}`),
    };
  },
});

export const remoteRemoveCommand = defineCliCommand({
  name: ["remote", "remove"],
  summary: "Forget a server (nothing changes on it)",
  usage: "hop3 remote remove NAME [--json]",
  positionals: [{ name: "NAME" }],
  async run({ args, io }) {
    const remote = removeRemote(io.env, args.positionals[0] ?? "");
    return { data: { removed: shown(remote) }, text: [`Removed remote ${remote.name}.`] };
  },
});

export const remoteDefaultCommand = defineCliCommand({
  name: ["remote", "default"],
  summary: "Choose the remote app commands use when neither --remote nor HOP3_REMOTE names one",
  usage: "hop3 remote default NAME [--json]",
  positionals: [{ name: "NAME" }],
  async run({ args, io }) {
    const name = args.positionals[0];
    if (name === undefined) throw new UsageError("missing NAME", this.usage);
    const remote = setDefaultRemote(io.env, name);
    return { data: { default: shown(remote) }, text: [`App commands now run on ${remote.name} (${remote.url}) unless --remote or HOP3_REMOTE says otherwise.`] };
  },
});

export const remoteCommands = [remoteAddCommand, remoteListCommand, remoteRemoveCommand, remoteDefaultCommand] as const;
