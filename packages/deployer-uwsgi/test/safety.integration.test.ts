import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Router } from "@hop3/core";
import { createUwsgiDeployer, stopEmperor } from "@hop3/deployer-uwsgi";
import { PYTHON, caught, deployContext, getReport, makeArtifact, nginxRouter, pgrep, pidOf, portOf, processesUnder, removeTempHomes, tempHome, writeApp } from "./helpers.js";

/** The only lines a vassal may hold: nothing a user wrote can add another. */
const VASSAL_LINE =
  /^(; Written by @hop3\/deployer-uwsgi .*|\[uwsgi\]|master = true|socket = \S+|vacuum = true|cheap = true|logto = \S+|exec-as-root = echo "\$PPID" > \/sys\/fs\/cgroup\/\S+\/cgroup\.procs( && echo "\$PPID" > \/sys\/fs\/cgroup\/\S+\/cgroup\.procs)*|max-fd = \d+|uid = \d+|gid = \d+|reload-mercy = \d+|attach-daemon2 = cmd=exec \/bin\/sh \S+,stopsignal=15|)$/;

// Hostile values, through every way a user can set one, against the real emperor.
describe("uWSGI deployer: no value can reach the vassal file", () => {
  const home = tempHome();
  const dir = writeApp(home, "victim");
  const pwned = join(tmpdir(), `hop3-pwned-${randomBytes(4).toString("hex")}`);
  const directive = (suffix: string) => `x\n[uwsgi]\nattach-daemon = touch ${pwned}-${suffix}\nenv = PORT=1\n`;
  const EVIL = `${directive("env")}%(home)%d %%n $(HOME) @(/etc/passwd) '"\`touch ${pwned}-backquote\`$(touch ${pwned}-subshell);,#\\ é\t`;
  const deployer = createUwsgiDeployer({ startTimeoutSeconds: 20 });
  let router: Router;
  let httpPort: number;
  const context = (overrides: Parameters<typeof deployContext>[2] = {}) => deployContext(home, router, overrides);
  const artifact = makeArtifact("victim", dir, {
    // A command is shell code by design; what matters is that it cannot reach the ini format.
    workers: { web: `${PYTHON} ${dir}/server.py '100%%' "it's" '$HOME' "$FROM_USER" # ${directive("command")}` },
    env: { FROM_ARTIFACT: EVIL },
  });

  beforeAll(async () => {
    ({ router, httpPort } = await nginxRouter());
  });

  afterAll(async () => {
    await stopEmperor(home);
    await router.stop(context());
    expect(processesUnder(home)).toEqual([]);
    expect(pgrep(home)).toEqual([]);
  });

  it("passes newlines, %, $, quotes and ini syntax in values to the app verbatim, and adds no directive", async () => {
    const status = await deployer.deploy(artifact, context({ appEnv: { FROM_APP: EVIL }, userEnv: { FROM_USER: EVIL } }));
    const report = await getReport(portOf(status));
    expect(report.env).toMatchObject({ FROM_ARTIFACT: EVIL, FROM_APP: EVIL, FROM_USER: EVIL, PORT: String(portOf(status)) });
    // Expanded by the shell at run time, nothing by uWSGI (which would have turned %% into %).
    expect(report.argv).toEqual(["100%%", "it's", "$HOME", EVIL]);
    expect((await getReport(httpPort, "/", "victim.localhost")).env.FROM_USER).toBe(EVIL);

    const vassal = readFileSync(join(home, "uwsgi", "vassals", "victim_web.1.ini"), "utf8");
    expect(vassal.split("\n").filter((line) => !VASSAL_LINE.test(line))).toEqual([]);
    expect(vassal).not.toContain("pwned");
    // uWSGI runs attach-daemon lines as the vassal starts, well before the app answers; give it a second more.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const suffix of ["env", "command", "backquote", "subshell"]) expect(existsSync(`${pwned}-${suffix}`), suffix).toBe(false);
  });

  it("refuses a variable name that is not a POSIX name, before touching the running release", async () => {
    const before = await deployer.status("victim", context());
    const vassal = join(home, "uwsgi", "vassals", "victim_web.1.ini");
    const mtime = statSync(vassal).mtimeMs;
    for (const name of ["X\n[uwsgi]\nattach-daemon = touch /tmp/x", "A B", "1ABC", "A=B", ""]) {
      const error = await caught(() => deployer.deploy(artifact, context({ userEnv: { [name]: "v" } })));
      expect(error.code, JSON.stringify(name)).toBe("UWSGI_ENV_NAME_INVALID");
      expect(error.message).toContain("the app's config (hop3 config set)");
    }
    const nul = await caught(() => deployer.deploy(artifact, context({ appEnv: { OK: "a\0b" } })));
    expect(nul.code).toBe("UWSGI_ENV_VALUE_INVALID");
    expect(statSync(vassal).mtimeMs).toBe(mtime);
    expect(pidOf(await deployer.status("victim", context()), "web")).toBe(pidOf(before, "web"));
  });

  it("refuses a bind address that is not an IP address", async () => {
    const error = await caught(() => deployer.deploy(artifact, context({ bindAddress: "127.0.0.1\nsocket = /tmp/x" })));
    expect(error.code).toBe("UWSGI_BIND_ADDRESS_INVALID");
  });
});

describe("uWSGI deployer: HOP3_HOME paths", () => {
  const homes: string[] = [];
  afterAll(async () => {
    for (const home of homes) {
      await stopEmperor(home);
      expect(processesUnder(home)).toEqual([]);
    }
  });

  it("serves from a HOP3_HOME whose path holds % (doubled in the vassal, literal everywhere else)", async () => {
    const home = tempHome("h3uw-%d%n-");
    homes.push(home);
    const dir = writeApp(home, "percent");
    const { router } = await nginxRouter();
    try {
      const status = await freshDeployer().deploy(makeArtifact("percent", dir), deployContext(home, router));
      expect((await getReport(portOf(status))).cwd).toBe(dir);
      const vassal = readFileSync(join(home, "uwsgi", "vassals", "percent_web.1.ini"), "utf8");
      expect(vassal).toContain(`logto = ${home.replaceAll("%", "%%")}/apps/percent/logs/web.1.log`);
      expect(existsSync(join(home, "apps", "percent", "logs", "web.1.log"))).toBe(true);
    } finally {
      await router.stop(deployContext(home, router));
    }
  });

  it.each([
    ["a comma", "h3uw-a,b-"],
    ["a space", "h3uw-a b-"],
    ["a quote", "h3uw-a'b-"],
    ["a dollar sign", "h3uw-$(x)-"],
  ])("refuses a HOP3_HOME holding %s with UWSGI_PATH_UNSAFE, before writing anything", async (_what, prefix) => {
    const home = tempHome(prefix);
    const dir = writeApp(home, "unsafe");
    const error = await caught(() => freshDeployer().deploy(makeArtifact("unsafe", dir), deployContext(home, stubRouter)));
    expect(error.code).toBe("UWSGI_PATH_UNSAFE");
    expect(error.message).toContain("HOP3_HOME");
    expect(existsSync(join(home, "uwsgi"))).toBe(false);
    expect(existsSync(join(home, "apps"))).toBe(false);
    expect(processesUnder(home)).toEqual([]);
  });
});

const freshDeployer = () => createUwsgiDeployer({ startTimeoutSeconds: 20 });

/** Never reached: these deploys fail before routing. */
const stubRouter: Router = {
  apiVersion: 1,
  name: "unreachable",
  ensureRunning: () => Promise.reject(new Error("not expected")),
  apply: () => Promise.reject(new Error("not expected")),
  remove: () => Promise.reject(new Error("not expected")),
  urlFor: (app) => `http://${app}.localhost/`,
  status: () => Promise.reject(new Error("not expected")),
  stop: () => Promise.resolve(),
};

afterAll(removeTempHomes);
