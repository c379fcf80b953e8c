import { resolve } from "node:path";
import type { Readable } from "node:stream";
import { resolveHop3Home, UsageError, type CliCommand, type CliIO, type CliOptionSpec, type ParsedArgs, type StepReporter } from "@hop3/core/cli";
import { runOnRemote, uploadAppName } from "./client.js";
import { HANDSHAKE_PREFIX, PROTOCOL_OPTION, REMOTE_PROTOCOL } from "./protocol.js";
import { remoteCommands } from "./commands.js";
import { receiveAppSource, receiveScratchSource } from "./receive.js";
import { buildHere, copyClosure } from "./build-here.js";
import { REMOTE_COMMANDS, UPLOAD_COMMANDS } from "./remote-commands.js";
import { chosenRemote, type Remote } from "./remotes.js";


const REMOTE_OPTION: CliOptionSpec = {
  remote: { type: "string", valueName: "NAME", description: "run it on that server (`hop3 remote list`; also HOP3_REMOTE)" },
};
const UPLOAD_OPTIONS: CliOptionSpec = {
  head: { type: "boolean", description: "with a remote: send the git commit HEAD of DIR, not its working tree" },
  receive: { type: "string", valueName: "APP", description: "on the server: read the app as a tar stream on stdin (what --remote sends)" },
};
const BUILD_HERE_OPTION: CliOptionSpec = {
  "build-here": { type: "boolean", description: "with a remote: build hop3.nix with Nix on this machine and send the store path, not the source" },
};
/** Options of the client alone: never sent to the server. */
const CLIENT_ONLY = new Set(["remote", "head", "app", "receive", "help", "build-here"]);

/** The shape cli-kit's createCli takes as its `remote` option (see RemoteSupport there). */
export interface RemoteSupportFor<Request> {
  readonly protocol: number;
  handshake(word: string, io: CliIO, version: string): boolean;
  readonly commands: readonly CliCommand[];
  optionsFor(command: CliCommand): CliOptionSpec;
  route(request: Request): Promise<{ exitCode: number } | { args: ParsedArgs; dispose?(): void } | undefined>;
}

export interface RouteRequest {
  readonly command: CliCommand;
  readonly args: ParsedArgs;
  readonly argv: readonly string[];
  readonly io: CliIO & { readonly stdin?: Readable };
  readonly reporter: StepReporter;
  readonly version: string;
  /** Starts loading what the command runs with; called before an upload is read, so both go on at once. */
  readonly preload?: () => void;
}

/** Remotes for a program: give it to createCli as `remote`. */
export function remoteSupport(): RemoteSupportFor<RouteRequest> {
  return {
    protocol: REMOTE_PROTOCOL,
    handshake,
    commands: remoteCommands,
    optionsFor(command) {
      const name = command.name[0] ?? "";
      if (command.name.length > 2 || !REMOTE_COMMANDS.has(name)) return {};
      if (!UPLOAD_COMMANDS.has(name)) return REMOTE_OPTION;
      return name === "deploy" ? { ...REMOTE_OPTION, ...UPLOAD_OPTIONS, ...BUILD_HERE_OPTION } : { ...REMOTE_OPTION, ...UPLOAD_OPTIONS };
    },
    route,
  };
}

/**
 * The server's end of the handshake: its version first on stderr, whatever the client speaks, so a
 * client of another protocol can name both versions; nothing runs for it.
 */
function handshake(word: string, io: CliIO, version: string): boolean {
  io.stderr.write(`${HANDSHAKE_PREFIX}${JSON.stringify({ name: "hop3", version, protocol: REMOTE_PROTOCOL })}\n`);
  return word === `${PROTOCOL_OPTION}${REMOTE_PROTOCOL}`;
}

async function route(request: RouteRequest): Promise<{ exitCode: number } | { args: ParsedArgs; dispose?(): void } | undefined> {
  const { command, args, io } = request;
  const name = command.name[0] ?? "";
  if (!REMOTE_COMMANDS.has(name)) return undefined;
  const values = args.values;
  if (typeof values.receive === "string") return receive(request, values.receive);
  const remote = chosenRemote(io.env, typeof values.remote === "string" ? values.remote : undefined);
  if (remote === undefined) {
    if (values.head) throw new UsageError("--head sends the app to a server: name one with --remote NAME", command.usage);
    if (values["build-here"]) throw new UsageError("--build-here sends what it builds to a server: name one with --remote NAME", command.usage);
    return undefined;
  }
  if (values["build-here"]) return deployBuiltHere(request, remote);
  // A store path already on the server: nothing to upload.
  if (!UPLOAD_COMMANDS.has(name) || typeof values["store-path"] === "string") {
    // `run` is the one command whose stdin (and, with -t, terminal) belongs to what runs there.
    const interactive = name === "run" ? { tty: values.tty === true, stdin: io.stdin ?? process.stdin } : undefined;
    const exitCode = await runOnRemote({ remote, argv: [...command.name, ...withoutRemote(request.argv)], io, reporter: request.reporter, clientVersion: request.version, ...(interactive && { interactive }) });
    return { exitCode };
  }
  const dir = resolve(io.cwd, args.positionals[0] ?? ".");
  const app = uploadAppName(dir, typeof values.app === "string" ? values.app : undefined);
  const argv = [...command.name, "--receive", app, ...optionWords(values)];
  const exitCode = await runOnRemote({ remote, argv, io, reporter: request.reporter, clientVersion: request.version, upload: { dir, gitHead: values.head === true } });
  return { exitCode };
}

/**
 * `deploy --build-here`: nix-build here, then on one connection the version handshake, the closure
 * copied (nix-copy-closure), and `hop3 deploy --store-path P --app APP` on the server.
 */
async function deployBuiltHere(request: RouteRequest, remote: Remote): Promise<{ exitCode: number }> {
  const { command, args, io, reporter } = request;
  const values = args.values;
  if (values.head) throw new UsageError("--build-here builds the working tree with Nix: it takes no --head", command.usage);
  if (typeof values["store-path"] === "string") throw new UsageError("--build-here builds the store path it sends: it takes no --store-path", command.usage);
  const dir = resolve(io.cwd, args.positionals[0] ?? ".");
  const app = uploadAppName(dir, typeof values.app === "string" ? values.app : undefined);
  const storePath = await buildHere(dir, io, reporter);
  const argv = ["deploy", "--store-path", storePath, "--app", app, ...optionWords(values)];
  const exitCode = await runOnRemote({ remote, argv, io, reporter, clientVersion: request.version, before: (session) => copyClosure(session, remote, storePath, io, reporter) });
  return { exitCode };
}

/** The server's end: the upload on stdin becomes the command's DIR (for deploy, the app's own source directory). */
async function receive(request: RouteRequest, app: string): Promise<{ args: ParsedArgs; dispose?(): void }> {
  const { command, args, io, reporter } = request;
  if (typeof args.values.remote === "string") throw new UsageError("--receive runs on the server and --remote sends to one: give one of them", command.usage);
  if (args.positionals.length > 0) throw new UsageError("--receive reads the app from stdin: it takes no DIR", command.usage);
  // Core's pipeline and the plugins load while the upload arrives.
  request.preload?.();
  const input = io.stdin ?? process.stdin;
  const options = { home: resolveHop3Home(io.env), env: io.env, app };
  const values = { ...args.values, app, receive: undefined };
  if (command.name[0] === "deploy") {
    const dir = await reporter.step("receive", () => receiveAppSource(input, options));
    keepRunningWhenDisconnected();
    return { args: { values, positionals: [dir] } };
  }
  const scratch = await reporter.step("receive", () => receiveScratchSource(input, options));
  return { args: { values, positionals: [scratch.dir] }, dispose: scratch.dispose };
}

/**
 * Once a received deploy starts, a client that goes away must not stop it halfway: SIGHUP is
 * ignored, and writes to the closed connection (EPIPE) are dropped. The deploy finishes or rolls
 * back; `hop3 status` tells which.
 */
function keepRunningWhenDisconnected(): void {
  process.removeAllListeners("SIGHUP");
  process.on("SIGHUP", () => undefined);
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
}

/** The words of a command as typed, without `--remote NAME` (or `--remote=NAME`). */
export function withoutRemote(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") {
      out.push(...argv.slice(i));
      break;
    }
    if (word === "--remote") i++;
    else if (!word.startsWith("--remote=")) out.push(word);
  }
  return out;
}

/** Parsed option values back to words, less the client's own. */
function optionWords(values: ParsedArgs["values"]): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    if (CLIENT_ONLY.has(key) || value === undefined || value === false) return [];
    return (Array.isArray(value) ? value : [value]).flatMap((v) => (v === true ? [`--${key}`] : v === false ? [] : [`--${key}`, String(v)]));
  });
}
