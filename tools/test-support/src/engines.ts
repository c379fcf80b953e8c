import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { isAlive, readPid } from "@hop3/core";
import { waitFor } from "./index.js";

/** One Docker engine of a test swarm, in a network namespace of its own. */
export interface TestEngine {
  /** Its network namespace, and the host name Swarm knows it by. */
  readonly name: string;
  /** Its address on the link between the two engines. */
  readonly address: string;
  /** DOCKER_HOST of its engine (a socket under the test's directory). */
  readonly host: string;
  /** `docker ARGS` against this engine; its output. */
  docker(args: readonly string[]): string;
  /** Cuts its link to the other engine (a node lost to the swarm), or mends it. */
  setLinkUp(up: boolean): void;
}

/** Two engines joined as one swarm: a manager and a worker, each in its network namespace, on one veth link. */
export interface TestSwarm {
  readonly manager: TestEngine;
  readonly worker: TestEngine;
  /**
   * Makes a loopback port of the manager's namespace (a port it publishes, such as the app's
   * edge) answer on this host's 127.0.0.1 too, so nginx reaches it.
   */
  expose(port: number): Promise<void>;
  /** Stops both engines and every forwarder, deletes the namespaces (and the link), removes their files. */
  stop(): Promise<void>;
}

export interface TestSwarmOptions {
  /** A directory of the test's own, short (socket paths are limited to 107 bytes): the engines' data-root, exec-root, pid file, socket and log go there. */
  readonly dir: string;
  /**
   * Ports of this host's loopback (a registry on 127.0.0.1) each engine reaches on its own
   * 127.0.0.1: a loopback registry is trusted over HTTP without an insecure-registry setting.
   */
  readonly hostLoopbackPorts?: readonly number[];
}

/**
 * A TCP/Unix-socket forwarder, run by node: `listen` and `connect` are `tcp:HOST:PORT` or
 * `unix:PATH`. A Unix socket is a file, so it crosses network namespaces: one forwarder on each
 * side joins a loopback port of one namespace to a loopback port of another.
 */
const FORWARDER = `
const net = require("node:net");
const [listen, connect] = process.argv.slice(1);
const where = (spec) => spec.startsWith("unix:") ? { path: spec.slice(5) } : { host: spec.split(":")[1], port: Number(spec.split(":")[2]) };
const server = net.createServer((client) => {
  const upstream = net.connect(where(connect));
  client.pipe(upstream).pipe(client);
  client.on("error", () => upstream.destroy());
  upstream.on("error", () => client.destroy());
});
server.listen(where(listen));
process.on("SIGTERM", () => process.exit(0));
`;

const ENGINE_WAIT_MS = 90_000;

/**
 * Starts a two-node swarm for a test: two dockerd (vfs storage, their own data-root, exec-root, pid
 * file and socket under `dir`), each in a network namespace with its own host name (so Swarm's
 * node names differ), joined by a veth pair: the manager advertises its end of the link, the
 * worker joins through it. Needs root, iproute2 and Debian's docker.io. The caller stops it.
 */
export async function startTestSwarm(options: TestSwarmOptions): Promise<TestSwarm> {
  const id = randomBytes(3).toString("hex");
  // A /30 of 10.213.0.0/16 per swarm: two tests at once do not meet.
  const block = randomBytes(2).readUInt16BE() & 0x3ffc;
  const ip = (host: number) => `10.213.${block >> 8}.${(block & 0xff) + host}`;
  const children: ChildProcess[] = [];
  const sides = [
    { name: `h3e${id}m`, link: `h3v${id}m`, address: ip(1) },
    { name: `h3e${id}w`, link: `h3v${id}w`, address: ip(2) },
  ] as const;
  const engines: (TestEngine & { stopEngine: () => Promise<void> })[] = [];
  const stop = async () => {
    for (const child of children) child.kill("SIGTERM");
    for (const engine of engines) await engine.stopEngine();
    for (const side of sides) ip_(["netns", "delete", side.name], true);
    rmSync(options.dir, { recursive: true, force: true });
  };
  try {
    for (const side of sides) ip_(["netns", "add", side.name]);
    ip_(["link", "add", sides[0].link, "netns", sides[0].name, "type", "veth", "peer", "name", sides[1].link, "netns", sides[1].name]);
    for (const side of sides) {
      ip_(["-n", side.name, "link", "set", "lo", "up"]);
      ip_(["-n", side.name, "addr", "add", `${side.address}/30`, "dev", side.link]);
      ip_(["-n", side.name, "link", "set", side.link, "up"]);
    }
    for (const side of sides) engines.push(await startEngine(join(options.dir, side.name.slice(-1)), side.name, side.link, side.address));
    const manager = engines[0]!;
    const worker = engines[1]!;
    manager.docker(["swarm", "init", "--advertise-addr", manager.address, "--listen-addr", `${manager.address}:2377`]);
    const token = manager.docker(["swarm", "join-token", "--quiet", "worker"]).trim();
    worker.docker(["swarm", "join", "--token", token, "--advertise-addr", worker.address, `${manager.address}:2377`]);
    await waitFor(() => manager.docker(["node", "ls", "--format", "{{.Status}}"]).trim().split("\n").filter((status) => status === "Ready").length === 2, 60_000, "both nodes to be ready");

    const forward = async (listen: string, connect: string, netns?: string) => {
      const argv = netns !== undefined ? ["nsenter", [`--net=${netnsPath(netns)}`, process.execPath, "-e", FORWARDER, listen, connect]] : [process.execPath, ["-e", FORWARDER, listen, connect]];
      const child = spawn(argv[0] as string, argv[1] as string[], { stdio: "ignore" });
      children.push(child);
      if (listen.startsWith("unix:")) await waitFor(() => existsSync(listen.slice(5)), 10_000, `${listen} to listen`);
      else await waitFor(() => tcpAnswers(listen, netns), 10_000, `${listen} to listen`);
    };
    for (const port of options.hostLoopbackPorts ?? []) {
      const socket = join(options.dir, `to-host-${port}.sock`);
      await forward(`unix:${socket}`, `tcp:127.0.0.1:${port}`);
      for (const side of sides) await forward(`tcp:127.0.0.1:${port}`, `unix:${socket}`, side.name);
    }
    return {
      manager,
      worker,
      async expose(port) {
        const socket = join(options.dir, `from-manager-${port}.sock`);
        await forward(`unix:${socket}`, `tcp:127.0.0.1:${port}`, sides[0].name);
        await forward(`tcp:127.0.0.1:${port}`, `unix:${socket}`);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** dockerd in the namespace, under a host name of its own (a UTS namespace), detached from the test. */
async function startEngine(dir: string, netns: string, link: string, address: string): Promise<TestEngine & { stopEngine: () => Promise<void> }> {
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, "docker.sock");
  const pidFile = join(dir, "dockerd.pid");
  const log = openSync(join(dir, "dockerd.log"), "a");
  const dockerd = `exec dockerd --storage-driver vfs --data-root ${dir}/data --exec-root ${dir}/exec --pidfile ${pidFile} -H unix://${socket}`;
  // nsenter, not `ip netns exec`: that one mounts a sysfs of its own, hiding the cgroup mounts dockerd needs.
  const child = spawn("nsenter", [`--net=${netnsPath(netns)}`, "unshare", "--uts", "sh", "-c", `hostname ${netns} && ${dockerd}`], { detached: true, stdio: ["ignore", log, log] });
  let exited = false;
  child.once("exit", () => (exited = true));
  child.unref();
  closeSync(log);
  const host = `unix://${socket}`;
  const docker = (args: readonly string[]) => execFileSync("docker", args, { encoding: "utf8", env: { ...process.env, DOCKER_HOST: host }, timeout: 300_000, stdio: ["ignore", "pipe", "pipe"] });
  const deadline = Date.now() + ENGINE_WAIT_MS;
  for (;;) {
    const failed = exited ? "exited" : Date.now() > deadline ? `did not answer within ${ENGINE_WAIT_MS / 1000} s` : undefined;
    if (failed !== undefined) throw new Error(`dockerd in ${netns} ${failed}; its log:\n${readFileSync(join(dir, "dockerd.log"), "utf8").split("\n").slice(-15).join("\n")}`);
    try {
      docker(["version", "--format", "{{.Server.Version}}"]);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250)); // not yet
    }
  }
  return {
    name: netns,
    address,
    host,
    docker,
    setLinkUp: (up) => ip_(["-n", netns, "link", "set", link, up ? "up" : "down"]),
    async stopEngine() {
      const pid = readPid(pidFile) ?? child.pid;
      if (pid === undefined) return;
      for (const [signal, ms] of [["SIGTERM", 30_000], ["SIGKILL", 10_000]] as const) {
        try {
          process.kill(pid, signal);
        } catch {
          return; // gone
        }
        try {
          await waitFor(() => !isAlive(pid), ms, `dockerd (pid ${pid}) to stop`);
          break;
        } catch {
          // next signal
        }
      }
      // What the engine mounted under its exec-root (its containers' namespaces) would keep the files.
      execFileSync("sh", ["-c", `grep -o " ${dir}/[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l`], { stdio: "ignore" });
    },
  };
}

const netnsPath = (name: string): string => `/run/netns/${name}`;

function ip_(args: readonly string[], allowFailure = false): void {
  try {
    execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    if (!allowFailure) throw new Error(`ip ${args.join(" ")} failed: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
  }
}

/** Whether something accepts a TCP connection at `tcp:HOST:PORT`, asked from inside `netns` when given. */
function tcpAnswers(spec: string, netns: string | undefined): boolean {
  const [, host, port] = spec.split(":");
  const probe = `require("node:net").connect(${Number(port)}, ${JSON.stringify(host)}).on("connect", () => process.exit(0)).on("error", () => process.exit(1))`;
  const argv = netns !== undefined ? [`--net=${netnsPath(netns)}`, process.execPath, "-e", probe] : undefined;
  try {
    if (argv) execFileSync("nsenter", argv, { stdio: "ignore", timeout: 5_000 });
    else execFileSync(process.execPath, ["-e", probe], { stdio: "ignore", timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}
