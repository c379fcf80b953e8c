import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { defineBench, type BenchCase } from "@hop3/bench";
import { createDistribution, createMemoryLogger, type OperationContext, type RouteSpec, type Router } from "@hop3/core";
import { createNginxRouter } from "@hop3/router-nginx";

const execFileAsync = promisify(execFile);

/** One HOP3_HOME with its own nginx and `count` apps routed. */
interface Instance {
  readonly label: string;
  readonly router: Router;
  readonly context: OperationContext;
  readonly route: RouteSpec;
  readonly prefixArgs: string[];
}

const instances: Instance[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Half static sites, half web apps (nginx -t does not connect to upstreams, so none need to run). */
async function prepare(label: string, count: number): Promise<Instance> {
  const home = mkdtempSync(join(tmpdir(), "hop3-bench-nginx-"));
  const www = join(home, "www");
  mkdirSync(www);
  writeFileSync(join(www, "index.html"), "bench\n");
  const router = createNginxRouter({ httpPort: await freePort() }, {});
  const context: OperationContext = createDistribution({ plugins: [], env: { ...process.env, HOP3_HOME: home } }).operationContext({ logger: createMemoryLogger() });
  const routeOf = (i: number): RouteSpec => ({
    app: `app${i}`,
    hosts: [`app${i}.localhost`, `app${i}.example.org`],
    upstreams: i % 2 === 0 ? [] : [{ host: "127.0.0.1", port: 20_000 + i }],
    staticDir: www,
  });
  for (let i = 0; i < count; i++) await router.apply(routeOf(i), context);
  const prefix = join(home, "nginx");
  return { label, router, context, route: routeOf(0), prefixArgs: ["-p", `${prefix}/`, "-c", join(prefix, "nginx.conf"), "-e", join(prefix, "logs", "error.log")] };
}

/** The nginx master of an instance and its current workers, from /proc. */
function workersOf(instance: Instance): { master: number; workers: number[] } {
  const master = Number(readFileSync(join(instance.context.home, "nginx", "nginx.pid"), "utf8"));
  const workers = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const fields = readFileSync(`/proc/${name}/stat`, "utf8").split(") ")[1]!.split(" ");
        return fields[0] !== "Z" && Number(fields[1]) === master;
      } catch {
        return false;
      }
    })
    .map(Number);
  return { master, workers };
}

/** By hand, what apply does: test, reload, and wait until the old workers stopped accepting. */
async function testReloadAndWait(instance: Instance): Promise<void> {
  const before = new Set(workersOf(instance).workers);
  await execFileAsync("nginx", ["-t", "-q", ...instance.prefixArgs]);
  await execFileAsync("nginx", ["-s", "reload", ...instance.prefixArgs]);
  for (;;) {
    const now = workersOf(instance).workers;
    const oldDone = [...before].every((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("shutting down");
      } catch {
        return true;
      }
    });
    if (oldDone && now.some((pid) => !before.has(pid))) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Untimed: lets a previous reload finish, so no case pays for the one before it. */
async function settle(instance: Instance): Promise<void> {
  for (;;) {
    const busy = workersOf(instance).workers.some((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("shutting down");
      } catch {
        return false;
      }
    });
    if (!busy) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function casesFor(instance: Instance): BenchCase[] {
  const apply = { label: "router.apply", run: () => instance.router.apply(instance.route, instance.context) };
  const beforeEach = async () => {
    await settle(instance);
    // nginx's master sleeps 100 ms inside a reload; a signal sent then waits for it.
    await new Promise((resolve) => setTimeout(resolve, 150));
  };
  return [
    {
      name: `apply one app, ${instance.label} configured, vs nginx -s reload`,
      subject: apply,
      baseline: { label: "nginx -s reload", run: () => execFileAsync("nginx", ["-s", "reload", ...instance.prefixArgs]) },
      iterations: 10,
      beforeEach,
    },
    {
      name: `apply one app, ${instance.label} configured, vs test + reload + wait by hand`,
      subject: apply,
      baseline: { label: "nginx -t, -s reload, wait", run: () => testReloadAndWait(instance) },
      iterations: 10,
      beforeEach,
      goal: "< 50 ms overhead",
    },
  ];
}

// apply = validate (nginx -t on a candidate) + SIGHUP + wait until the new configuration is the
// only one answering. A bare `nginx -s reload` returns before that: nginx's master waits 100 ms
// before telling the old workers to stop, so the second pair of cases is the fair comparison.
export default defineBench({
  name: "router-nginx",
  async setup() {
    instances.push(await prepare("1 app", 1), await prepare("50 apps", 50));
    return async () => {
      for (const instance of instances.splice(0)) {
        await instance.router.stop(instance.context);
        rmSync(instance.context.home, { recursive: true, force: true });
      }
    };
  },
  cases: () => instances.flatMap(casesFor),
});
