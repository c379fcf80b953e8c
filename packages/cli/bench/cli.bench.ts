import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import autocannon from "autocannon";
import { defineBench } from "@hop3/bench";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../../..");
const bin = join(root, "packages/cli/dist/bin.js");
const app = join(root, "test-fixtures/apps/nix-web");
const home = mkdtempSync(join(tmpdir(), "hop3-bench-cli-"));
let port = 0;
let env: NodeJS.ProcessEnv = {};

const freePort = () =>
  new Promise<number>((done) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address() as { port: number };
      server.close(() => done(address.port));
    });
  });

const ok = (target: number, host?: string) =>
  new Promise<boolean>((done) => {
    const req = request({ hostname: "127.0.0.1", port: target, path: "/", headers: host ? { Host: host } : {} }, (res) => {
      res.resume();
      done((res.statusCode ?? 0) < 500);
    });
    req.on("error", () => done(false));
    req.end();
  });

/** The raw steps of an unchanged redeploy: the (cached) Nix build, then the web command started and answering. */
async function rawRedeploy(): Promise<void> {
  const { stdout } = await run("nix-build", ["hop3.nix", "-A", "package", "--no-out-link"], { cwd: app, env });
  const out = stdout.trim().split("\n").at(-1)!;
  const runtime = JSON.parse(readFileSync(join(out, "hop3/runtime.json"), "utf8"));
  const workerPort = await freePort();
  const child = spawn("/bin/sh", ["-c", runtime.workers.web], {
    env: { ...env, ...runtime.env, PATH: `${(runtime.path ?? []).join(":")}:${env.PATH}`, PORT: String(workerPort), BIND_ADDRESS: "127.0.0.1" },
    cwd: out,
    detached: true,
    stdio: "ignore",
  });
  while (!(await ok(workerPort))) await new Promise((r) => setTimeout(r, 5));
  process.kill(-child.pid!, "SIGTERM");
}

let deploying: Promise<unknown> = Promise.resolve();

/**
 * `hop3 deploy` of the unchanged app, timed until traffic is switched: nginx's site for the app names
 * the new release's port (router.apply writes it, validates it and reloads before it returns). The
 * deploy goes on (drain, old instances stopped) untimed; the next run waits for it.
 */
async function redeployUntilSwitched(): Promise<void> {
  const site = join(home, "nginx", "sites", "nix-web.conf");
  const before = readFileSync(site, "utf8");
  deploying = run(process.execPath, [bin, "deploy", app], { env });
  let failed: unknown;
  deploying.catch((error: unknown) => (failed = error));
  while (readFileSync(site, "utf8") === before) {
    if (failed) throw failed;
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Requests that fail (error, timeout, non-2xx) under a steady load while the app is redeployed `count` times. */
async function failedRequestsDuringRedeploys(count: number): Promise<{ failed: number; total: number }> {
  let load!: autocannon.Instance;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    load = autocannon({ url: `http://127.0.0.1:${port}/`, headers: { Host: "nix-web.localhost" }, connections: 4, overallRate: 200, duration: 300 }, (error, result) => (error ? reject(error) : resolve(result)));
  });
  for (let i = 0; i < count; i++) await run(process.execPath, [bin, "deploy", app], { env });
  load.stop();
  const result = await done;
  return { failed: result.errors + result.timeouts + result.non2xx, total: result.requests.total };
}

/** Resident memory of a process, in KiB (0 when it is gone). */
const rssKiB = (pid: number): number => {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
};

/** Every process whose session is `sid`, with its parent (the vassal's uWSGI master). */
function instanceProcesses(sid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]!.split(" ");
      if (Number(fields[3]) === sid) found.push(Number(entry));
      if (Number(entry) === sid) found.push(Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  return [...new Set(found)];
}

/**
 * What an idle app costs once deployed, isolation included (its uWSGI master drops to the app's
 * user; the launcher execs setpriv, which execs the worker: no process is added), against the same
 * worker started raw.
 */
async function idleMemory(): Promise<{ app: number; appMiB: number; rawMiB: number }> {
  const { stdout } = await run(process.execPath, [bin, "status", "nix-web", "--json"], { env });
  const sid = (JSON.parse(stdout) as { workers: Array<{ pid?: number }> }).workers[0]!.pid!;
  const processes = instanceProcesses(sid);
  const appKiB = processes.reduce((sum, pid) => sum + rssKiB(pid), 0);
  const built = (await run("nix-build", ["hop3.nix", "-A", "package", "--no-out-link"], { cwd: app, env })).stdout.trim().split("\n").at(-1)!;
  const runtime = JSON.parse(readFileSync(join(built, "hop3/runtime.json"), "utf8"));
  const workerPort = await freePort();
  const child = spawn("/bin/sh", ["-c", `exec ${runtime.workers.web}`], {
    env: { ...env, PATH: `${(runtime.path ?? []).join(":")}:${env.PATH}`, PORT: String(workerPort), BIND_ADDRESS: "127.0.0.1" },
    detached: true,
    stdio: "ignore",
  });
  while (!(await ok(workerPort))) await new Promise((r) => setTimeout(r, 5));
  const rawKiB = instanceProcesses(child.pid!).filter((pid) => pid !== process.pid).reduce((sum, pid) => sum + rssKiB(pid), 0);
  process.kill(-child.pid!, "SIGTERM");
  return { app: processes.length, appMiB: appKiB / 1024, rawMiB: rawKiB / 1024 };
}

export default defineBench({
  name: "cli",
  async setup() {
    // What users run is the built program.
    execFileSync("pnpm", ["exec", "turbo", "run", "build", "--filter=@hop3/cli...", "--output-logs=errors-only"], { cwd: root, stdio: "ignore", env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" } });
    port = await freePort();
    env = { ...process.env, HOP3_HOME: home, HOP3_HTTP_PORT: String(port), NIX_CONFIG: "substituters =\n", NO_COLOR: "1" };
    await run(process.execPath, [bin, "deploy", app], { env });
    return async () => {
      await run(process.execPath, [bin, "server", "stop"], { env });
      rmSync(home, { recursive: true, force: true });
    };
  },
  cases: [
    {
      name: "start-up (hop3 --version)",
      subject: { label: "hop3 --version", run: () => run(process.execPath, [bin, "--version"]) },
      baseline: { label: "node -e 0", run: () => run(process.execPath, ["-e", "0"]) },
      iterations: 20,
      goal: "within 2x of bare node",
    },
    {
      name: "unchanged redeploy of a built Nix app, to switched traffic",
      subject: { label: "hop3 deploy, until nginx routes the new release", run: redeployUntilSwitched },
      baseline: { label: "nix-build + start + first 200", run: rawRedeploy },
      beforeEach: () => deploying,
      iterations: 5,
      goal: "< 1.5 s",
    },
    {
      name: "unchanged redeploy of a built Nix app, whole command",
      subject: { label: "hop3 deploy (switch, drain, old stopped)", run: () => deploying.then(() => run(process.execPath, [bin, "deploy", app], { env })) },
      baseline: { label: "nix-build + start + first 200", run: rawRedeploy },
      iterations: 3,
      goal: "< 4 s",
    },
  ],
  async notes() {
    const idle = await idleMemory();
    const { stderr } = await run(process.execPath, ["--import", join(import.meta.dirname, "report-rss.mjs"), bin, "deploy", app], { env });
    const kib = Number(/hop3-bench-maxrss-kib (\d+)/.exec(stderr)?.[1]);
    const load = await failedRequestsDuringRedeploys(10);
    return [
      `idle memory of the deployed app (uWSGI master, launcher chain and worker, in its own box): ${idle.app} processes, ${idle.appMiB.toFixed(1)} MiB RSS; the worker alone, started raw: ${idle.rawMiB.toFixed(1)} MiB`,
      `peak memory of \`hop3 deploy\` (unchanged Nix app): ${(kib / 1024).toFixed(1)} MiB`,
      `requests failed during 10 redeploys under 200 requests/s through nginx: ${load.failed} of ${load.total} (goal: 0)`,
    ];
  },
});
