import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findAppUser, isAlive } from "@hop3/core";
import { createUwsgiDeployer, emperorLayout, stopEmperor } from "@hop3/deployer-uwsgi";
import { caught, deployContext, makeArtifact, processesUnder, removeTempHomes, reportDir, tempHome, unusedRouter, waitFor, writeApp } from "./helpers.js";

/** How long a job every minute may take to be seen: uWSGI runs it when its vassal starts, then at every minute. */
const MINUTE_WAIT_MS = 70_000;

const readLines = (path: string): string[] => (existsSync(path) ? readFileSync(path, "utf8").split("\n").filter((line) => line !== "") : []);

// Cron workers against the real emperor: each one a vassal whose master runs the app's command on
// schedule, as the app's user, with its environment, never twice at once. Both apps' waits run
// side by side, so the file takes about one minute.
describe("uWSGI deployer: cron workers", () => {
  const home = tempHome("h3cr-");
  const reports = reportDir(home);
  const deployer = createUwsgiDeployer({ startTimeoutSeconds: 20, stopTimeoutSeconds: 3 });
  // Cron-only apps are never routed; destroy still asks the router to forget them.
  const router = { ...unusedRouter, remove: () => Promise.resolve() };
  const context = (overrides: Parameters<typeof deployContext>[2] = {}) => deployContext(home, router, overrides);

  afterAll(async () => {
    await stopEmperor(home);
    expect(processesUnder(home)).toEqual([]);
    removeTempHomes();
  });

  it("runs a job every minute as the app's user, with its env and working directory, with no way back to root; its output and exit code go to the worker's log; a job still running is not started again", { timeout: 3 * MINUTE_WAIT_MS }, async () => {
    const tickerDir = writeApp(home, "ticker", { "tick.sh": 'printf "%s %s %s %s\\n" "$(id -u)" "$CRON_LABEL" "$(pwd)" "$(grep NoNewPrivs /proc/self/status | tr -d "\\t ")" > "$REPORT"\necho out-line\necho err-line >&2\nsudo -n true 2>/dev/null && echo ROOT-AGAIN\nexit 3\n' });
    const sleeperDir = writeApp(home, "sleeper", { "sleep.sh": 'echo "start $$" >> "$STARTS"\nexec sleep 150\n' });
    const ticker = makeArtifact("ticker", tickerDir, { workers: { cron: "* * * * * sh tick.sh" }, env: { CRON_LABEL: "from-the-artifact" } });
    const sleeper = makeArtifact("sleeper", sleeperDir, { workers: { cron: "*/1 * * * * sh sleep.sh" } });
    const report = join(reports, "ticker.txt");
    const starts = join(reports, "sleeper.txt");
    await Promise.all([
      deployer.deploy(ticker, context({ userEnv: { REPORT: report } })),
      deployer.deploy(sleeper, context({ userEnv: { STARTS: starts } })),
    ]);
    const deployedAt = Date.now();

    const user = findAppUser({ home, env: process.env }, "ticker")!;
    const [uid, label, cwd, noNewPrivs] = (await waitFor(() => readLines(report)[0], MINUTE_WAIT_MS, "the ticker's first run")).split(" ");
    expect(Number(uid)).toBe(user.uid);
    expect(user.uid).not.toBe(0);
    expect([label, cwd, noNewPrivs]).toEqual(["from-the-artifact", tickerDir, "NoNewPrivs:1"]);

    const logs = await deployer.logFiles!("ticker", context());
    expect(logs.map((log) => `${log.worker}.${log.instance}`)).toEqual(["cron.1"]);
    const log = await waitFor(() => {
      const text = readFileSync(logs[0]!.path, "utf8");
      return text.includes("exited with code") && text;
    }, MINUTE_WAIT_MS, "the ticker's exit in its log");
    expect(log).toMatch(/\[hop3-cron\] cron\.1: started\nout-line\nerr-line\n\[hop3-cron\] cron\.1: exited with code 3 after \d+ s/);
    expect(log).not.toContain("ROOT-AGAIN");
    expect((await deployer.status("ticker", context())).workers).toEqual([expect.objectContaining({ worker: "cron", state: "running", detail: expect.stringMatching(/^scheduled \* \* \* \* \*/) })]);

    // The sleeper's first run is still going at the next minute: uWSGI does not start another.
    const [first] = await waitFor(() => readLines(starts).length > 0 && readLines(starts), MINUTE_WAIT_MS, "the sleeper's first run");
    const nextMinute = (Math.floor(Date.now() / 60_000) + 1) * 60_000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(nextMinute - Date.now(), 0) + 5_000));
    expect(Date.now() - deployedAt).toBeLessThan(2 * MINUTE_WAIT_MS);
    expect(readLines(starts)).toEqual([first]);
    const runPid = Number(first!.split(" ")[1]);
    expect(isAlive(runPid)).toBe(true);
    expect(readFileSync(join(home, "apps", "sleeper", "logs", "cron.1.log"), "utf8")).not.toContain("exited with code");

    // Destroying the app stops its run too: uWSGI itself would leave it going.
    await deployer.destroy("sleeper", context());
    await waitFor(() => !isAlive(runPid), 10_000, "the sleeper's run to stop");
    expect(readdirSync(emperorLayout(home).vassals).filter((file) => file.startsWith("sleeper_"))).toEqual([]);
    await deployer.destroy("ticker", context());
  });

  it("refuses a schedule that would write a line of its own into the vassal, before anything is written", async () => {
    const dir = writeApp(home, "sneaky", { "x.sh": "id\n" });
    const error = await caught(() => deployer.deploy(makeArtifact("sneaky", dir, { workers: { cron: "* * * * *\n[uwsgi]\nuid = 0\nsh x.sh" } }), context()));
    expect(error).toMatchObject({ code: "PROCFILE_CRON_INVALID" });
    expect(readdirSync(emperorLayout(home).vassals).filter((file) => file.startsWith("sneaky_"))).toEqual([]);
  });
});
