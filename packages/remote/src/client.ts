import { basename, resolve } from "node:path";
import { Transform, type Readable } from "node:stream";
import { shellQuote, toAppName, UsageError, type CliIO, type Logger, type StepReporter } from "@hop3/core/cli";
import { remoteError } from "./errors.js";
import { packSource } from "./pack.js";
import { REMOTE_PROTOCOL } from "./protocol.js";
import { parseRemoteUrl, type Remote } from "./remotes.js";
import { openSession, sshSettings, connectionError, type SshSession } from "./ssh.js";


/** What `hop3 version --json` says on the server. */
export interface ServerVersion {
  readonly name: string;
  readonly version: string;
  /** Absent on a Hop3 that cannot be driven remotely. */
  readonly protocol?: number;
}

/** A command to run on a remote. */
export interface RemoteRun {
  readonly remote: Remote;
  /** Its words for the server's hop3 (no --remote), e.g. ["status", "blog", "--json"]. */
  readonly argv: readonly string[];
  readonly io: CliIO;
  readonly reporter: StepReporter;
  /** This program's version, for the handshake's messages. */
  readonly clientVersion: string;
  /** Packs this directory and sends it on the command's stdin (deploy, plan, validate). */
  readonly upload?: { readonly dir: string; readonly gitHead: boolean };
  /** `hop3 run`: this stdin goes to the command; with `tty`, this terminal too (`ssh -tt`). */
  readonly interactive?: { readonly tty: boolean; readonly stdin: Readable };
  /** Runs on the connection once the versions agree, before the command (--build-here copies its closure). */
  readonly before?: (session: SshSession) => Promise<void>;
}

/**
 * Runs a Hop3 command on a remote over one SSH connection: versions first, then the command, its
 * stdout and stderr passed through as they come and its exit code returned, so the output is the
 * one a run on the server gives. A lost connection is REMOTE_UPLOAD_INTERRUPTED while an upload
 * was still being sent, REMOTE_CONNECTION_LOST after.
 */
export async function runOnRemote(run: RemoteRun): Promise<number> {
  const { remote, io } = run;
  const target = parseRemoteUrl(remote.url);
  const session = await openSession(target, sshSettings(io.env), io.signal);
  try {
    await checkServerVersion(session, remote, run.clientVersion);
    await run.before?.(session);
    const commandLine = [remote.command, ...run.argv.map(shellQuote)].join(" ");
    const forward = { stdout: (chunk: Buffer) => io.stdout.write(chunk.toString("utf8")), stderr: (chunk: Buffer) => io.stderr.write(chunk.toString("utf8")), signal: io.signal };
    if (run.interactive?.tty) return await session.execInTerminal(commandLine);
    if (!run.upload) {
      const result = await session.exec(commandLine, { ...forward, ...(run.interactive && { stdin: run.interactive.stdin }) });
      if (io.signal.aborted) return interrupted(remote, run.argv);
      if (result.code === 255 || result.signal) throw lost(remote, run.argv, result.stderr);
      return result.code;
    }
    const progress = uploadProgress();
    const source = packSource(run.upload.dir, { gitHead: run.upload.gitHead, signal: io.signal });
    source.on("error", (error) => progress.fail(error));
    const executed = session.exec(commandLine, { ...forward, stdin: source.pipe(progress.counter) });
    const uploaded = run.reporter.step(`upload to ${remote.name}`, (logger) => progress.watch(logger, executed), (r) => `${megabytes(r.bytes)} in ${(r.ms / 1000).toFixed(1)}s`);
    uploaded.catch(() => undefined);
    const result = await executed;
    // This side could not pack the app (a file unreadable or gone meanwhile): the server saw a cut archive.
    if (progress.failure !== undefined) throw progress.failure;
    if (io.signal.aborted || result.code === 255 || result.signal) {
      if (!progress.done) {
        await uploaded.catch(() => undefined);
        throw remoteError("REMOTE_UPLOAD_INTERRUPTED", `The connection to ${remote.name} was lost after ${megabytes(progress.bytes)} of the upload; nothing changed on the server.${sshSaid(result.stderr)}`, {
          details: { remote: remote.name, bytes: progress.bytes },
        });
      }
      if (io.signal.aborted) return interrupted(remote, run.argv);
      throw lost(remote, run.argv, result.stderr);
    }
    await uploaded.catch(() => undefined); // a refused upload (too large, unsafe path): the server's own error was printed
    return result.code;
  } finally {
    session.close();
  }
}

/** Asks the server's hop3 its version; another protocol than this one's is REMOTE_VERSION_MISMATCH. */
export async function checkServerVersion(session: SshSession, remote: Remote, clientVersion: string): Promise<ServerVersion> {
  let out = "";
  const result = await session.exec(`${remote.command} version --json`, { stdout: (chunk) => (out += chunk.toString("utf8")), stderr: () => undefined });
  if (result.code === 127 || result.code === 126) {
    throw remoteError("REMOTE_HOP3_MISSING", `${remote.name} could not run \`${remote.command}\`: ${result.stderr.trim().split("\n").at(-1) ?? "not found"}.`, { details: { remote: remote.name, command: remote.command } });
  }
  if (result.code === 255 || result.signal) throw connectionError(parseRemoteUrl(remote.url), result.stderr);
  let server: ServerVersion;
  try {
    server = JSON.parse(out.trim().split("\n").at(-1) ?? "") as ServerVersion;
    if (typeof server.version !== "string") throw new Error("no version");
  } catch {
    throw remoteError("REMOTE_HOP3_MISSING", `\`${remote.command} version --json\` on ${remote.name} did not answer as Hop3 does (exit ${result.code}: ${(out || result.stderr).trim().slice(0, 200)}).`, {
      details: { remote: remote.name, command: remote.command },
    });
  }
  if (server.protocol !== REMOTE_PROTOCOL) {
    const serverOlder = (server.protocol ?? 0) < REMOTE_PROTOCOL;
    const them = `${remote.name} runs hop3 ${server.version} (remote protocol ${server.protocol ?? "none"})`;
    const us = `this machine runs hop3 ${clientVersion} (remote protocol ${REMOTE_PROTOCOL})`;
    throw remoteError("REMOTE_VERSION_MISMATCH", `${them} and ${us}: ${serverOlder ? "upgrade Hop3 on the server" : "upgrade Hop3 on this machine"}.`, {
      hint: serverOlder
        ? `On ${remote.name}, as root: \`npm install -g @hop3/cli@latest\` (then \`hop3 version\` says the new version). This machine's hop3 is ${clientVersion}.`
        : `Here: \`npm install -g @hop3/cli@latest\`, or run \`npx @hop3/cli@latest\`. The server's hop3 is ${server.version}.`,
      details: { remote: remote.name, clientVersion, clientProtocol: REMOTE_PROTOCOL, serverVersion: server.version, serverProtocol: server.protocol ?? null },
    });
  }
  return server;
}

/** The app name an upload is received as: --app, else the directory's name, as `hop3 deploy DIR` settles it. */
export function uploadAppName(dir: string, app: string | undefined): string {
  if (app !== undefined) return app;
  const derived = toAppName(basename(resolve(dir)));
  if (derived === undefined) throw new UsageError(`no app name can be made from the directory name "${basename(resolve(dir))}"; pass --app NAME`);
  return derived;
}

/**
 * Ctrl-C here ends the connection, not the command there (no terminal is passed): following logs,
 * that is the end asked for; anything else goes on on the server, and the client says so.
 */
function interrupted(remote: Remote, argv: readonly string[]): number {
  if (argv[0] === "logs") return 0;
  throw lost(remote, argv, "interrupted on this machine");
}

function lost(remote: Remote, argv: readonly string[], stderr: string) {
  // The app: what an upload is received as, else the first word after the command (status NAME, rollback NAME...).
  const receiving = argv.indexOf("--receive");
  const app = receiving >= 0 ? argv[receiving + 1] : argv[1] !== undefined && !argv[1].startsWith("-") && argv[0] !== "apps" ? argv[1] : undefined;
  return remoteError("REMOTE_CONNECTION_LOST", `The connection to ${remote.name} was lost while \`hop3 ${argv[0]}\` ran there; it goes on on the server.${sshSaid(stderr)}`, {
    ...(app !== undefined && { hint: `The command goes on on the server (a deploy finishes or rolls back on its own): run \`hop3 status ${app} --remote ${remote.name}\` to see what happened.` }),
    details: { remote: remote.name, command: argv[0] },
  });
}

const sshSaid = (stderr: string): string => {
  const last = stderr.trim().split("\n").at(-1)?.trim();
  return last ? ` (ssh: ${last})` : "";
};

const megabytes = (bytes: number): string => (bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} kB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`);

/** Counts what goes to the server and says it as a step's output, once a second while it grows. */
function uploadProgress() {
  let finish: () => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const finished = new Promise<void>((resolveFinished, rejectFinished) => {
    finish = resolveFinished;
    fail = rejectFinished;
  });
  finished.catch(() => undefined);
  const state = {
    bytes: 0,
    done: false,
    failure: undefined as unknown,
    counter: new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        state.bytes += chunk.length;
        callback(null, chunk);
      },
      flush(callback) {
        state.done = true;
        finish();
        callback();
      },
    }),
    fail(error: unknown) {
      state.failure = error;
      fail(error);
      state.counter.destroy(error as Error);
    },
    /** Resolves when all was sent; rejects when the command ended first. */
    async watch(logger: Logger, executed: Promise<unknown>): Promise<{ bytes: number; ms: number }> {
      const started = performance.now();
      let said = 0;
      const timer = setInterval(() => {
        if (state.bytes === said) return;
        said = state.bytes;
        logger.output({ stream: "stdout", text: `${megabytes(state.bytes)} sent` });
      }, 1000);
      try {
        await Promise.race([finished, executed.then(() => (state.done ? undefined : Promise.reject(new Error(`the server stopped reading after ${megabytes(state.bytes)}`))))]);
      } finally {
        clearInterval(timer);
      }
      return { bytes: state.bytes, ms: performance.now() - started };
    },
  };
  return state;
}
