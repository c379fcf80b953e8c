import { basename, resolve } from "node:path";
import { Transform, type Readable } from "node:stream";
import { shellQuote, toAppName, UsageError, type CliIO, type Logger, type StepReporter } from "@hop3/core/cli";
import { remoteError } from "./errors.js";
import { packSource } from "./pack.js";
import { HANDSHAKE_PREFIX, PROTOCOL_OPTION, REMOTE_PROTOCOL } from "./protocol.js";
import { parseRemoteUrl, type Remote } from "./remotes.js";
import { openSession, sshSettings, connectionError, type ExecResult, type SshSession } from "./ssh.js";

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
 * Runs a Hop3 command on a remote over one SSH connection, in one session and one hop3 process
 * there: the command line starts with this client's protocol, and the server's first line on stderr
 * is its version (the handshake); its stdout and stderr pass through once the versions agree, and
 * its exit code is returned, so the output is the one a run on the server gives. A lost connection
 * is REMOTE_UPLOAD_INTERRUPTED while an upload was still being sent, REMOTE_CONNECTION_LOST after.
 */
export async function runOnRemote(run: RemoteRun): Promise<number> {
  const { remote, io } = run;
  const target = parseRemoteUrl(remote.url);
  // The app is packed (its files listed, the tar and ignore libraries loaded) while the connection is made.
  const progress = run.upload ? uploadProgress() : undefined;
  const source = run.upload ? packSource(run.upload.dir, { gitHead: run.upload.gitHead, signal: io.signal }) : undefined;
  source?.on("error", (error) => progress!.fail(error));
  let session: SshSession;
  try {
    session = await openSession(target, sshSettings(io.env), io.signal);
  } catch (error) {
    source?.destroy();
    throw error;
  }
  try {
    // A terminal's output cannot wait for a handshake, nor a closure be copied before one: those ask the version first.
    const inBand = run.before === undefined && !run.interactive?.tty;
    if (!inBand) {
      await checkServerVersion(session, remote, run.clientVersion);
      await run.before?.(session);
    }
    const words = inBand ? [`${PROTOCOL_OPTION}${REMOTE_PROTOCOL}`, ...run.argv] : run.argv;
    const commandLine = [remote.command, ...words.map(shellQuote)].join(" ");
    if (run.interactive?.tty) return await session.execInTerminal(commandLine);
    const gate = handshakeGate(io, inBand);
    const forward = { stdout: gate.stdout, stderr: gate.stderr, signal: io.signal };
    const settle = (result: ExecResult) => gate.settle(result, () => checkServerVersion(session, remote, run.clientVersion), remote, run.clientVersion);
    if (source === undefined || progress === undefined) {
      const result = await session.exec(commandLine, { ...forward, ...(run.interactive && { stdin: run.interactive.stdin }) });
      await settle(result);
      if (io.signal.aborted) return interrupted(remote, run.argv);
      if (result.code === 255 || result.signal) throw lost(remote, run.argv, result.stderr);
      return result.code;
    }
    // It could not be packed (a file unreadable or gone) while the connection was made: nothing is sent.
    if (progress.failure !== undefined) throw progress.failure;
    const executed = session.exec(commandLine, { ...forward, stdin: source.pipe(progress.counter) });
    const uploaded = run.reporter.step(`upload to ${remote.name}`, (logger) => progress.watch(logger, executed), (r) => `${megabytes(r.bytes)} in ${(r.ms / 1000).toFixed(1)}s`);
    uploaded.catch(() => undefined);
    const result = await executed;
    // This side could not pack the app (a file unreadable or gone meanwhile): the server saw a cut archive.
    if (progress.failure !== undefined) throw progress.failure;
    await settle(result);
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

/** Asks the server's hop3 its version (`version --json`, a session of its own); another protocol than this one's is REMOTE_VERSION_MISMATCH. */
export async function checkServerVersion(session: SshSession, remote: Remote, clientVersion: string): Promise<ServerVersion> {
  let out = "";
  const result = await session.exec(`${remote.command} version --json`, { stdout: (chunk) => (out += chunk.toString("utf8")), stderr: () => undefined });
  if (result.code === 127 || result.code === 126) throw hop3Missing(remote, result.stderr);
  if (result.code === 255 || result.signal) throw connectionError(parseRemoteUrl(remote.url), result.stderr);
  const server = parseServerVersion(out.trim().split("\n").at(-1) ?? "");
  if (server === undefined) {
    throw remoteError("REMOTE_HOP3_MISSING", `\`${remote.command} version --json\` on ${remote.name} did not answer as Hop3 does (exit ${result.code}: ${(out || result.stderr).trim().slice(0, 200)}).`, {
      details: { remote: remote.name, command: remote.command },
    });
  }
  const mismatch = versionMismatch(server, remote, clientVersion);
  if (mismatch !== undefined) throw mismatch;
  return server;
}

function parseServerVersion(json: string): ServerVersion | undefined {
  try {
    const server = JSON.parse(json) as ServerVersion;
    return typeof server?.version === "string" ? server : undefined;
  } catch {
    return undefined;
  }
}

const hop3Missing = (remote: Remote, stderr: string) =>
  remoteError("REMOTE_HOP3_MISSING", `${remote.name} could not run \`${remote.command}\`: ${stderr.trim().split("\n").at(-1) ?? "not found"}.`, { details: { remote: remote.name, command: remote.command } });

/** REMOTE_VERSION_MISMATCH when the server speaks another protocol than this client, naming both versions and which to upgrade. */
function versionMismatch(server: ServerVersion, remote: Remote, clientVersion: string) {
  if (server.protocol === REMOTE_PROTOCOL) return undefined;
  const serverOlder = (server.protocol ?? 0) < REMOTE_PROTOCOL;
  const them = `${remote.name} runs hop3 ${server.version} (remote protocol ${server.protocol ?? "none"})`;
  const us = `this machine runs hop3 ${clientVersion} (remote protocol ${REMOTE_PROTOCOL})`;
  return remoteError("REMOTE_VERSION_MISMATCH", `${them} and ${us}: ${serverOlder ? "upgrade Hop3 on the server" : "upgrade Hop3 on this machine"}.`, {
    hint: serverOlder
      ? `On ${remote.name}, as root: \`npm install -g @hop3/cli@latest\` (then \`hop3 version\` says the new version). This machine's hop3 is ${clientVersion}.`
      : `Here: \`npm install -g @hop3/cli@latest\`, or run \`npx @hop3/cli@latest\`. The server's hop3 is ${server.version}.`,
    details: { remote: remote.name, clientVersion, clientProtocol: REMOTE_PROTOCOL, serverVersion: server.version, serverProtocol: server.protocol ?? null },
  });
}

/**
 * Holds what the server says until its handshake (the first line on stderr), then passes it all
 * through as it comes; a server of another protocol shows nothing (its versions make the error).
 * No handshake at all: what the server said is held until `settle` has asked its version the old
 * way (a Hop3 older than the handshake refused the protocol word), so a refusal is never printed
 * as the command's output.
 */
function handshakeGate(io: CliIO, expected: boolean) {
  let state: "waiting" | "open" | "refused" | "unanswered" = expected ? "waiting" : "open";
  let server: ServerVersion | undefined;
  let firstLine = Buffer.alloc(0);
  const held: Array<readonly ["stdout" | "stderr", Buffer]> = [];
  const write = (stream: "stdout" | "stderr", chunk: Buffer) => io[stream].write(chunk.toString("utf8"));
  const flush = () => {
    state = "open";
    for (const [stream, chunk] of held.splice(0)) write(stream, chunk);
  };
  return {
    stdout(chunk: Buffer) {
      if (state === "open") write("stdout", chunk);
      else if (state !== "refused") held.push(["stdout", chunk]);
    },
    stderr(chunk: Buffer) {
      if (state === "open") return write("stderr", chunk);
      if (state === "refused") return;
      if (state === "unanswered") return void held.push(["stderr", chunk]);
      firstLine = Buffer.concat([firstLine, chunk]);
      const end = firstLine.indexOf(10);
      if (end < 0 && firstLine.length < 4096) return;
      const line = firstLine.subarray(0, end < 0 ? firstLine.length : end).toString("utf8");
      server = line.startsWith(HANDSHAKE_PREFIX) ? parseServerVersion(line.slice(HANDSHAKE_PREFIX.length)) : undefined;
      if (server === undefined) {
        state = "unanswered";
        held.push(["stderr", firstLine]);
      } else if (server.protocol !== REMOTE_PROTOCOL) state = "refused";
      else {
        flush();
        if (end + 1 < firstLine.length) write("stderr", firstLine.subarray(end + 1));
      }
    },
    /** Once the command ended: the mismatch or missing hop3 it showed, as their coded errors. */
    async settle(result: ExecResult, askVersion: () => Promise<unknown>, remote: Remote, clientVersion: string): Promise<void> {
      if (server !== undefined) {
        const mismatch = versionMismatch(server, remote, clientVersion);
        if (mismatch !== undefined) throw mismatch;
        return;
      }
      if (state === "open") return;
      if (result.code === 127 || result.code === 126) throw hop3Missing(remote, result.stderr);
      // A cut connection is the caller's to tell; otherwise a hop3 that did not answer is asked the old way.
      if (result.code !== 255 && result.signal === undefined && !io.signal.aborted) await askVersion();
      flush();
    },
  };
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
  // A failure is told by `failure`, also before the counter is piped to the session.
  state.counter.on("error", () => undefined);
  return state;
}
