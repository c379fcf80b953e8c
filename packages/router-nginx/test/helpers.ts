import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createMemoryLogger, runCommand, type MemoryLogger, type OperationContext } from "@hop3/core";
import { freePort, caught } from "@hop3/test-support";

export { httpGet, type HttpAnswer } from "@hop3/test-support";

export { freePort, caught };

/** A fresh HOP3_HOME. */
export const tempHome = (): string => mkdtempSync(join(tmpdir(), "hop3-nginx-test-"));

/** What router operations get: the real command runner and a logger the test can read. */
export function operationContext(home: string): OperationContext & { logger: MemoryLogger } {
  return { logger: createMemoryLogger(), run: runCommand, signal: new AbortController().signal, home, env: process.env };
}

const made: string[] = [];

/** A directory of files (path -> content), removed by `removeMadeDirs`. */
export function makeDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "hop3-static-"));
  made.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** Removes every directory `makeDir` made. */
export function removeMadeDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Sends raw bytes to a port and returns everything received until the peer closes. */
export function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = "";
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    socket.setTimeout(5_000, () => socket.destroy(new Error("no answer within 5 s")));
    socket.on("data", (chunk) => (received += chunk.toString("utf8")));
    socket.on("end", () => resolve(received));
    socket.on("error", reject);
  });
}

/** A real web worker: answers every request with its name, the path and the headers it received. */
export interface Upstream {
  readonly port: number;
  close(): Promise<void>;
}

export async function startUpstream(name: string): Promise<Upstream> {
  const port = await freePort();
  const server: Server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ from: name, path: req.url, headers: req.headers }));
  });
  // A websocket handshake: answer 101, then send the request's headers over the upgraded connection.
  server.on("upgrade", (req, socket) => {
    socket.end(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n${JSON.stringify({ from: name, headers: req.headers })}`);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** Live nginx masters started for this HOP3_HOME (found by their command line, not the pid file). */
export function mastersOf(home: string): number[] {
  const conf = join(home, "nginx", "nginx.conf");
  return livePids().filter((pid) => {
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
      return line.startsWith("nginx: master process") && line.includes(` -c ${conf} `);
    } catch {
      return false; // gone meanwhile
    }
  });
}

/** True when the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
    return state !== undefined && state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

function livePids(): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter(isAlive);
}

/** The children of a process (an nginx master's workers). */
export function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((child) => {
      try {
        const fields = readFileSync(`/proc/${child}/stat`, "utf8").split(") ")[1]!.split(" ");
        return fields[0] !== "Z" && Number(fields[1]) === pid;
      } catch {
        return false;
      }
    });
}

/** The files under a directory, relative, sorted (missing directory: none). */
export function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
      .sort();
  } catch {
    return [];
  }
}
