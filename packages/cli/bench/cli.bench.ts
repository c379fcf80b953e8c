import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
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
      name: "unchanged redeploy of a built Nix app, to serving",
      subject: { label: "hop3 deploy", run: () => run(process.execPath, [bin, "deploy", app], { env }) },
      baseline: { label: "nix-build + start + first 200", run: rawRedeploy },
      iterations: 5,
      goal: "< 1.5 s",
    },
  ],
  async notes() {
    const { stderr } = await run(process.execPath, ["--import", join(import.meta.dirname, "report-rss.mjs"), bin, "deploy", app], { env });
    const kib = Number(/hop3-bench-maxrss-kib (\d+)/.exec(stderr)?.[1]);
    return [`peak memory of \`hop3 deploy\` (unchanged Nix app): ${(kib / 1024).toFixed(1)} MiB`];
  },
});
