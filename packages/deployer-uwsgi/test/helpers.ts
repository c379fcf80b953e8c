import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CGROUP_ROOT, detectCgroups, findAppUser, isValidAppName, removeCgroups, type BuildArtifact, type Router } from "@hop3/core";
import { createNginxRouter } from "@hop3/router-nginx";
import { freePort, caught, httpGet, waitFor, processesUnder, testDeployContext } from "@hop3/test-support";

export { freePort, caught, httpGet, waitFor, processesUnder };

/**
 * The system's Python interpreter: the workers run as their app's own user, who cannot reach an
 * interpreter installed under /root (a version manager's), and not a shim either (it rewrites PATH
 * and costs a fork or two), so what the app reports is what the deployer gave it.
 */
export const PYTHON = execFileSync("/usr/bin/python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();

const homes: string[] = [];

/** A fresh HOP3_HOME, short so unix socket paths stay well under their limit. Removed by `removeTempHomes`. */
export function tempHome(prefix = "h3uw-"): string {
  const home = mkdtempSync(join(tmpdir(), prefix));
  homes.push(home);
  return home;
}

/**
 * A directory every app's user may write to (1777, like /tmp), for what test workers report: each
 * app runs as its own user, which may write nowhere else in the home but its data directory.
 */
export function reportDir(home: string): string {
  const dir = join(home, "reports");
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o1777);
  return dir;
}

/**
 * Removes the homes this test file made (after its checks, so a failure leaves them to look at),
 * and the cgroups of their apps (empty once their emperor stopped; the kernel keeps them otherwise).
 */
export function removeTempHomes(): void {
  for (const home of homes.splice(0)) {
    for (const app of listApps(home)) {
      const user = findAppUser({ home, env: process.env }, app);
      if (user?.dedicated) removeCgroups(detectCgroups(), user.name);
    }
    rmSync(home, { recursive: true, force: true });
  }
}

function listApps(home: string): string[] {
  try {
    return readdirSync(join(home, "apps")).filter((name) => isValidAppName(name));
  } catch {
    return [];
  }
}

/**
 * A web worker: answers every request with JSON of what it runs with (environment, working
 * directory, pid) and what it received (path, headers). Listens on $BIND_ADDRESS:$PORT.
 */
export const SERVER_PY = `import http.server, json, os, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"name": os.environ.get("APP_LABEL", ""), "env": dict(os.environ), "cwd": os.getcwd(), "argv": sys.argv[1:],
                           "pid": os.getpid(), "path": self.path, "headers": dict(self.headers)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
print("serving on", os.environ["BIND_ADDRESS"], os.environ["PORT"], flush=True)
http.server.ThreadingHTTPServer((os.environ["BIND_ADDRESS"], int(os.environ["PORT"])), Handler).serve_forever()
`;

/** A background worker: writes its environment and pid to $REPORT_FILE, then waits forever. */
export const WORKER_PY = `import json, os, signal, sys, time
with open(os.environ["REPORT_FILE"] + ".tmp", "w") as f:
    json.dump({"env": dict(os.environ), "cwd": os.getcwd(), "pid": os.getpid()}, f)
os.rename(os.environ["REPORT_FILE"] + ".tmp", os.environ["REPORT_FILE"])
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(60)
`;

/** Writes an app's files under HOP3_HOME/src/<name> (so its processes carry the home's path) and returns the directory. */
export function writeApp(home: string, name: string, files: Record<string, string> = { "server.py": SERVER_PY, "worker.py": WORKER_PY }): string {
  const dir = join(home, "src", name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** A hand-made artifact, as a builder would hand it over. */
export function makeArtifact(app: string, dir: string, runtime: Partial<BuildArtifact["runtime"]> = {}, buildId = "build-1"): BuildArtifact {
  return {
    apiVersion: 1,
    kind: "generic",
    location: dir,
    builder: "test",
    appName: app,
    buildId,
    builtAt: new Date().toISOString(),
    metadata: {},
    runtime: { workers: { web: `${PYTHON} ${dir}/server.py` }, env: {}, path: [], workingDir: dir, ...runtime },
  };
}

/** What the deployer gets: the real command runner, a logger the test reads, a router. */
export const deployContext = testDeployContext;

/** The real nginx router on a free port of its own. */
export async function nginxRouter(): Promise<{ router: Router; httpPort: number }> {
  const httpPort = await freePort();
  return { router: createNginxRouter({ httpPort }), httpPort };
}

/** What the test server reports. */
export interface ServerReport {
  readonly name: string;
  readonly env: Record<string, string>;
  readonly cwd: string;
  /** The arguments after the script, as the shell passed them. */
  readonly argv: string[];
  readonly pid: number;
  readonly path: string;
  readonly headers: Record<string, string>;
}

export async function getReport(port: number, path = "/", host?: string): Promise<ServerReport> {
  const answer = await httpGet(port, host ?? `127.0.0.1:${port}`, path);
  if (answer.status !== 200) throw new Error(`GET ${path} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
  return JSON.parse(answer.body) as ServerReport;
}

/** `pgrep -af <home>`: what the brief asks to check, besides the /proc scan. */
export function pgrep(pattern: string): string[] {
  try {
    return execFileSync("pgrep", ["-af", "--", pattern], { encoding: "utf8" }).trim().split("\n").filter((line) => line !== "" && !line.includes("pgrep"));
  } catch {
    return []; // exit 1: nothing matched
  }
}

/** The pid of a worker instance as status reports it. */
export const pidOf = (status: { workers: readonly { worker: string; instance: number; pid?: number }[] }, worker: string, instance = 1): number | undefined =>
  status.workers.find((w) => w.worker === worker && w.instance === instance)?.pid;

/** The port of a web instance as status reports it. */
export const portOf = (status: { workers: readonly { worker: string; instance: number; port?: number }[] }, instance = 1): number => {
  const port = status.workers.find((w) => w.worker === "web" && w.instance === instance)?.port;
  if (port === undefined) throw new Error(`no port for web.${instance}`);
  return port;
};

/** The cgroup directories of an app of this home (`hop3/<user>`), one per hierarchy that holds a controller Hop3 uses. */
export function cgroupDirsOf(home: string, app: string): string[] {
  const user = findAppUser({ home, env: process.env }, app);
  if (user === undefined) throw new Error(`${app} has no user in ${home}`);
  const support = detectCgroups();
  const roots = Object.values(support.controllers).flatMap((controller) => (controller === undefined ? [] : [controller.version === "v1" ? controller.mount : support.unified!]));
  return [...new Set(roots)].map((root) => join(root, CGROUP_ROOT, user.name));
}

/** A router for tests whose apps are never routed: any use of it fails the test. */
export const unusedRouter = {
  apiVersion: 1 as const,
  name: "unused",
  ensureRunning: () => Promise.reject(new Error("not expected")),
  apply: () => Promise.reject(new Error("not expected")),
  remove: () => Promise.reject(new Error("not expected")),
  urlFor: (app: string) => `http://${app}.localhost/`,
  status: () => Promise.reject(new Error("not expected")),
  stop: () => Promise.resolve(),
};
