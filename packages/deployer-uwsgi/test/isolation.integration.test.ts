import { spawn } from "node:child_process";
import { chownSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectCgroups, findAppUser, killAppProcesses, processUid, privilegeDrop, CGROUP_ROOT, type AppUser, type Controller, type Router } from "@hop3/core";
import { createUwsgiDeployer, stopEmperor } from "@hop3/deployer-uwsgi";
import { PYTHON, caught, deployContext, httpGet, makeArtifact, nginxRouter, pidOf, portOf, processesUnder, removeTempHomes, tempHome, waitFor, writeApp } from "./helpers.js";

/**
 * A web worker that reports what box it runs in (/), tries to read a file (/read?path=), holds
 * memory (/alloc?mb=), or writes a burst of output (/burst?mb=).
 */
const PROBE_PY = `import http.server, json, os, sys, urllib.parse
held = []
def status():
    fields = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/read":
            try:
                with open(query["path"], "rb") as f:
                    f.read(1)
                answer = {"read": True}
            except OSError as error:
                answer = {"read": False, "errno": error.errno}
        elif url.path == "/alloc":
            held.append(b"x" * (int(query["mb"]) * 1024 * 1024))
            answer = {"held": len(held)}
        elif url.path == "/burst":
            line = ("burst " + "y" * 1017 + "\\n").encode()
            for _ in range(int(query["mb"]) * 1024):
                sys.stdout.buffer.write(line)
            sys.stdout.buffer.flush()
            answer = {"written": int(query["mb"])}
        else:
            s = status()
            answer = {"pid": os.getpid(), "uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "env": dict(os.environ),
                      "capEff": s["CapEff"], "noNewPrivs": s["NoNewPrivs"], "umask": s.get("Umask"), "cgroup": open("/proc/self/cgroup").read()}
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
print("probe on", os.environ["PORT"], flush=True)
http.server.ThreadingHTTPServer((os.environ["BIND_ADDRESS"], int(os.environ["PORT"])), Handler).serve_forever()
`;

/** A fork bomb: every process forks for ever, and waits a little whenever the kernel refuses. */
const BOMB_PY = `import os, time
while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.2)
`;

interface ProbeReport {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
  readonly groups: number[];
  readonly env: Record<string, string>;
  readonly capEff: string;
  readonly noNewPrivs: string;
  readonly umask?: string;
  readonly cgroup: string;
}

/** The session a process belongs to, from /proc. */
function sessionOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);
}

async function probe<T = ProbeReport>(port: number, path = "/"): Promise<T> {
  const answer = await httpGet(port, `127.0.0.1:${port}`, path);
  if (answer.status !== 200) throw new Error(`GET ${path} answered ${answer.status}`);
  return JSON.parse(answer.body) as T;
}

// Each app in its own box, against the real emperor, cgroups and kernel: who it runs as, what it
// can read, and what its limits do to it and to its neighbour.
describe("uWSGI deployer: every app in its own box", () => {
  const home = tempHome();
  const config = join(home, "hop3-config.json");
  writeFileSync(config, JSON.stringify({ logs: { maxSize: "1M", keep: 2, appCap: "4M" } }));
  const env = { ...process.env, HOP3_CONFIG: config };
  const deployer = createUwsgiDeployer({ startTimeoutSeconds: 20, stopTimeoutSeconds: 3 });
  let router: Router;
  const context = (overrides: Parameters<typeof deployContext>[2] = {}) => deployContext(home, router, { env, ...overrides });
  const probeApp = (app: string, runtime: Parameters<typeof makeArtifact>[2] = {}) => {
    const dir = writeApp(home, app, { "probe.py": PROBE_PY, "bomb.py": BOMB_PY });
    return makeArtifact(app, dir, { workers: { web: `${PYTHON} ${dir}/probe.py` }, ...runtime });
  };
  const userOf = (app: string): AppUser => findAppUser({ home, env }, app)!;
  /** A cgroup file of an app's release slot, in the hierarchy that holds the controller. */
  const cgroupFile = (app: string, controller: Controller, file: string, slot = "a") => {
    const support = detectCgroups();
    const found = support.controllers[controller];
    if (found === undefined) throw new Error(`no ${controller} controller on this machine`);
    return join(found.version === "v1" ? found.mount : support.unified!, CGROUP_ROOT, userOf(app).name, slot, file);
  };
  const leftovers: number[] = [];

  beforeAll(async () => {
    ({ router } = await nginxRouter());
  });

  afterAll(async () => {
    for (const pid of leftovers) if (processUid(pid) !== undefined) process.kill(pid, "SIGKILL");
    await stopEmperor(home);
    await router.stop(context());
    for (const app of ["alpha", "beta", "bomb", "hog", "chatty", "victim", "boxed"]) {
      const user = findAppUser({ home, env }, app);
      if (user?.dedicated) expect(await killAppProcesses(user), app).toEqual([]);
    }
    expect(processesUnder(home)).toEqual([]);
  });

  let alpha: ProbeReport;
  let alphaPort: number;
  let alphaLeader: number;

  it("runs a worker as the app's own uid and gid with only its group, no capability, no_new_privs, umask 027, in the app's cgroups", async () => {
    const status = await deployer.deploy(probeApp("alpha"), context());
    alphaPort = portOf(status);
    alpha = await probe(alphaPort);
    const user = userOf("alpha");
    expect(user).toMatchObject({ dedicated: true, home: join(home, "apps", "alpha", "data") });
    expect(alpha).toMatchObject({ uid: user.uid, gid: user.gid, groups: [user.gid], capEff: "0000000000000000", noNewPrivs: "1", umask: "0027" });
    alphaLeader = pidOf(status, "web")!;
    expect(sessionOf(alpha.pid)).toBe(alphaLeader); // the worker runs in the session its launcher leads
    expect(alpha.env).toMatchObject({ HOME: user.home, USER: user.name, LOGNAME: user.name, TMPDIR: join(user.home, "tmp") });
    for (const controller of ["memory", "pids"] as const) {
      expect(alpha.cgroup).toMatch(new RegExp(`^\\d+:([a-z,]*,)?${controller}(,[a-z,]*)?:/${CGROUP_ROOT}/${user.name}/a$`, "m"));
      expect(readFileSync(cgroupFile("alpha", controller, "cgroup.procs"), "utf8").split("\n")).toContain(String(alpha.pid));
    }
    // The defaults of Hop3's config: 1G of memory, 512 processes, 16384 open files.
    expect(readFileSync(cgroupFile("alpha", "memory", "memory.limit_in_bytes"), "utf8").trim()).toBe(String(1024 ** 3));
    expect(readFileSync(cgroupFile("alpha", "pids", "pids.max"), "utf8").trim()).toBe("512");
    expect(readFileSync(`/proc/${alpha.pid}/limits`, "utf8")).toMatch(/^Max open files\s+16384\s+16384\s+files\s*$/m);
  });

  it("cannot read another app's launcher or data, nor /etc/shadow; can read its own", async () => {
    await deployer.deploy(probeApp("beta"), context());
    const beta = join(home, "apps", "beta");
    writeFileSync(join(beta, "data", "secret.txt"), "beta's\n", { mode: 0o600 });
    const own = join(home, "apps", "alpha", "data", "mine.txt");
    writeFileSync(own, "alpha's\n", { mode: 0o600 });
    chownSync(own, userOf("alpha").uid, userOf("alpha").gid);
    for (const path of [own, join(home, "apps", "alpha", "run", "web.1.sh")]) {
      expect(await probe(alphaPort, `/read?path=${encodeURIComponent(path)}`), path).toEqual({ read: true });
    }
    for (const path of [join(beta, "run", "web.1.sh"), join(beta, "data", "secret.txt"), join(beta, "deploy", "state.json"), join(beta, "logs", "web.1.log"), "/etc/shadow"]) {
      expect(await probe(alphaPort, `/read?path=${encodeURIComponent(path)}`), path).toEqual({ read: false, errno: 13 });
    }
  });

  it("a fork bomb stops at its processes limit, and the neighbour keeps serving from the same pid", async () => {
    const artifact = probeApp("bomb");
    await deployer.deploy({ ...artifact, runtime: { ...artifact.runtime, workers: { bomb: `${PYTHON} ${artifact.location}/bomb.py` } } }, context({ limits: { processes: 40 } }));
    expect(readFileSync(cgroupFile("bomb", "pids", "pids.max"), "utf8").trim()).toBe("40");
    await waitFor(() => /^max [1-9]/m.test(readFileSync(cgroupFile("bomb", "pids", "pids.events"), "utf8")), 15_000, "the kernel to refuse the bomb a fork");
    const current = Number(readFileSync(cgroupFile("bomb", "pids", "pids.current"), "utf8"));
    expect(current).toBeLessThanOrEqual(40);
    expect(current).toBeGreaterThan(30);
    expect((await probe(alphaPort)).pid).toBe(alpha.pid);
    expect(pidOf(await deployer.status("alpha", context()), "web")).toBe(alphaLeader);
    await deployer.destroy("bomb", context());
    expect(await killAppProcesses(userOf("bomb"))).toEqual([]);
  });

  it("a worker past its memory limit is OOM-killed and respawned with a new pid, and the neighbour keeps its pid", async () => {
    const status = await deployer.deploy(probeApp("hog"), context({ limits: { memoryBytes: 96 * 1024 ** 2 } }));
    const port = portOf(status);
    const before = await probe(port);
    expect(readFileSync(cgroupFile("hog", "memory", "memory.limit_in_bytes"), "utf8").trim()).toBe(String(96 * 1024 ** 2));
    await expect(httpGet(port, `127.0.0.1:${port}`, "/alloc?mb=300")).rejects.toThrow();
    const after = await waitFor(async () => {
      const report = await probe(port);
      return report.pid !== before.pid && report;
    }, 20_000, "the hog's worker to be respawned");
    expect(after.uid).toBe(before.uid);
    expect(readFileSync(cgroupFile("hog", "memory", "memory.oom_control"), "utf8")).toMatch(/^oom_kill [1-9]/m);
    expect((await probe(alphaPort)).pid).toBe(alpha.pid);
  });

  it("a 30 MB burst of output in about a second: the worker keeps serving, and maintain() rotates its log within the cap", async () => {
    const status = await deployer.deploy(probeApp("chatty"), context());
    const port = portOf(status);
    const before = await probe(port);
    const started = Date.now();
    expect(await probe<{ written: number }>(port, "/burst?mb=30")).toEqual({ written: 30 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await probe(port)).pid).toBe(before.pid);
    const logs = join(home, "apps", "chatty", "logs");
    const log = join(logs, "web.1.log");
    expect(statSync(log).size).toBeGreaterThan(30 * 1024 ** 2);

    const done = await deployer.maintain!(context());
    expect(done.some((line) => line.startsWith(`Rotated ${log} (`))).toBe(true);
    const total = readdirSync(logs).reduce((sum, file) => sum + statSync(join(logs, file)).size, 0);
    expect(total).toBeLessThanOrEqual(4 * 1024 ** 2);
    expect(statSync(`${log}.1`).size).toBeLessThanOrEqual(1024 ** 2 + 200);
    // Still the same process, still writing to the same (emptied) file.
    expect((await probe(port)).pid).toBe(before.pid);
    await probe(port, "/burst?mb=1");
    expect(readFileSync(log, "utf8").startsWith("burst ")).toBe(true);
    expect(await deployer.maintain!(context())).toEqual([]);
  });

  it("never signals a process the app named in its pid file: destroy leaves a root process it was pointed at alone", async () => {
    await deployer.deploy(probeApp("victim"), context());
    const bystander = spawn("sleep", ["1000"], { detached: true, stdio: "ignore" });
    leftovers.push(bystander.pid!);
    const pidFile = join(home, "apps", "victim", "run", "web.1.pid");
    // As the app would: its own user writes its own pid file.
    const [setpriv, ...drop] = privilegeDrop(userOf("victim"));
    await new Promise<void>((resolve, reject) =>
      spawn(setpriv!, [...drop, "/bin/sh", "-c", `echo ${bystander.pid} > ${pidFile}`], { stdio: "inherit" }).once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`)))),
    );
    expect(readFileSync(pidFile, "utf8").trim()).toBe(String(bystander.pid));
    expect((await deployer.status("victim", context())).workers[0]).toMatchObject({ state: "failed" });
    await deployer.destroy("victim", context());
    expect(processUid(bystander.pid!)).toBe(0);
    expect(readFileSync(`/proc/${bystander.pid}/stat`, "utf8")).not.toMatch(/\) [ZX] /);
    expect(existsSync(join(home, "apps", "victim", "run"))).toBe(false);
  });

  it("a container-isolation worker keeps root for the docker CLI, but gets none of the app's variables: they are in its env file", async () => {
    const status = await deployer.deploy(
      probeApp("boxed", { isolation: "container", env: { FROM_ARTIFACT: "artifact" } }),
      context({ appEnv: { SECRET_TOKEN: "s3cret", QUOTED: `it's "$HOME" %d` }, userEnv: { FROM_USER: "user" }, limits: { memoryBytes: 512 * 1024 ** 2, processes: 100, openFiles: 4096 } }),
    );
    const port = portOf(status);
    const report = await probe(port);
    const envFile = join(home, "apps", "boxed", "run", "web.1.env");
    expect(report).toMatchObject({ uid: 0, noNewPrivs: "1" });
    expect(report.env).toMatchObject({
      PORT: String(port),
      BIND_ADDRESS: "127.0.0.1",
      HOP3_INSTANCE: "boxed_web.1",
      HOP3_ENV_FILE: envFile,
      HOP3_LIMIT_MEMORY: String(512 * 1024 ** 2),
      HOP3_LIMIT_PROCESSES: "100",
      HOP3_LIMIT_OPEN_FILES: "4096",
    });
    const names = Object.keys(report.env).filter((name) => !["PWD", "OLDPWD", "SHLVL", "_", "LC_CTYPE"].includes(name));
    expect(names.sort()).toEqual(["BIND_ADDRESS", "HOP3_ENV_FILE", "HOP3_INSTANCE", "HOP3_LIMIT_MEMORY", "HOP3_LIMIT_OPEN_FILES", "HOP3_LIMIT_PROCESSES", "PATH", "PORT"]);
    expect(statSync(envFile)).toMatchObject({ uid: 0, gid: 0 });
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(envFile, "utf8").split("\n").sort()).toEqual(["", "FROM_ARTIFACT=artifact", "FROM_USER=user", `QUOTED=it's "$HOME" %d`, "SECRET_TOKEN=s3cret"]);
    // Its launcher is root's: the app's user could otherwise rewrite what root runs.
    expect(statSync(join(home, "apps", "boxed", "run", "web.1.sh")).uid).toBe(0);
    expect(report.cgroup).toMatch(new RegExp(`:/${CGROUP_ROOT}/${userOf("boxed").name}/a$`, "m"));

    const error = await caught(() => deployer.deploy(probeApp("boxed", { isolation: "container" }), context({ userEnv: { CERT: "-----BEGIN\nxyz" } })));
    expect(error.code).toBe("UWSGI_CONTAINER_ENV_VALUE_INVALID");
    expect(error.message).toContain("CERT");
    expect((await probe(port)).pid).toBe(report.pid);
  });
});

afterAll(removeTempHomes);
