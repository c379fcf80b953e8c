import { connect, type Socket } from "node:net";

/**
 * A reply of the RESP2 protocol: a status line, an integer, a bulk string (binary: DUMP payloads
 * are not text), nil, an array, or the server's error, returned in place so that one failed command
 * of a pipeline does not hide the others' replies.
 */
export type Reply = string | number | Buffer | null | Reply[] | ReplyError;

/** An error reply (`-NOPERM ...`, `-ERR ...`); its first word is `code`. */
export class ReplyError {
  readonly code: string;
  constructor(readonly message: string) {
    this.code = message.split(" ", 1)[0] ?? "ERR";
  }
}

export type Argument = string | number | Buffer;

/**
 * A connection to redis-server speaking RESP2, authenticated as one ACL user. Hop3 talks to its
 * server this way rather than through redis-cli: passwords never appear on a command line, DUMP
 * payloads stay binary, and thousands of commands go in one pipeline.
 */
export interface RedisConnection {
  /** Sends one command; an error reply is thrown as a ReplyError. */
  call(...args: Argument[]): Promise<Reply>;
  /** Sends every command at once and returns their replies in order, errors in place. */
  pipeline(commands: readonly (readonly Argument[])[]): Promise<Reply[]>;
  close(): void;
}

/** Where and as whom to connect. */
export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly timeoutMs?: number;
}

export async function connectRedis(options: ConnectOptions): Promise<RedisConnection> {
  const socket = await open(options.host, options.port, options.timeoutMs ?? 5_000);
  const connection = new Connection(socket);
  try {
    await connection.call("AUTH", options.user, options.password);
  } catch (error) {
    connection.close();
    throw error;
  }
  return connection;
}

function open(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => socket.destroy(new Error(`no connection to ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

interface Pending {
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: Error) => void;
}

class Connection implements RedisConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending: Pending[] = [];
  private failure: Error | undefined;

  constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", (error) => this.fail(error));
    socket.on("close", () => this.fail(new Error("redis-server closed the connection")));
  }

  async call(...args: Argument[]): Promise<Reply> {
    const [reply] = await this.pipeline([args]);
    if (reply instanceof ReplyError) throw reply;
    return reply!;
  }

  pipeline(commands: readonly (readonly Argument[])[]): Promise<Reply[]> {
    if (this.failure) return Promise.reject(this.failure);
    const replies = commands.map(() => new Promise<Reply>((resolve, reject) => this.pending.push({ resolve, reject })));
    this.socket.write(Buffer.concat(commands.map(encode)));
    return Promise.all(replies);
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      let parsed: ReturnType<typeof parse>;
      try {
        parsed = parse(this.buffer, 0);
      } catch (error) {
        return this.fail(error as Error);
      }
      if (parsed === undefined) return;
      this.buffer = this.buffer.subarray(parsed.end);
      const waiting = this.pending.shift();
      if (waiting === undefined) return this.fail(new Error("redis-server sent a reply nobody asked for"));
      waiting.resolve(parsed.reply);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.splice(0)) waiting.reject(error);
    this.socket.destroy();
  }
}

function encode(args: readonly Argument[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg));
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** One reply starting at `at`, or undefined when the buffer does not hold all of it yet. */
function parse(buffer: Buffer, at: number): { reply: Reply; end: number } | undefined {
  const lineEnd = buffer.indexOf("\r\n", at);
  if (lineEnd < 0) return undefined;
  const line = buffer.toString("utf8", at + 1, lineEnd);
  const next = lineEnd + 2;
  switch (buffer[at]) {
    case 0x2b: // +
      return { reply: line, end: next };
    case 0x2d: // -
      return { reply: new ReplyError(line), end: next };
    case 0x3a: // :
      return { reply: Number(line), end: next };
    case 0x24: { // $
      const length = Number(line);
      if (length < 0) return { reply: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { reply: Buffer.from(buffer.subarray(next, next + length)), end: next + length + 2 };
    }
    case 0x2a: { // *
      const count = Number(line);
      if (count < 0) return { reply: null, end: next };
      const items: Reply[] = [];
      let end = next;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, end);
        if (item === undefined) return undefined;
        items.push(item.reply);
        end = item.end;
      }
      return { reply: items, end };
    }
    default:
      throw new Error(`redis-server sent a reply this client cannot read (starting with ${JSON.stringify(String.fromCharCode(buffer[at] ?? 0))})`);
  }
}

/** A bulk or status reply as text. */
export const text = (reply: Reply): string => (Buffer.isBuffer(reply) ? reply.toString("utf8") : String(reply));
