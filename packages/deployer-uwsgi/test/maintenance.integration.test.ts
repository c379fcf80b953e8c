import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createUwsgiDeployer, MAINTENANCE_VASSAL, pokeEmperor, emperorLayout, stopEmperor } from "@hop3/deployer-uwsgi";
import { deployContext, processesUnder, removeTempHomes, tempHome, unusedRouter, waitFor } from "./helpers.js";

// Hop3's own schedule, against the real emperor: `<hop3Command> server maintain` every minute, as root.
describe("Hop3's schedule under the emperor", () => {
  const home = tempHome();
  const out = join(home, "maintain-runs.txt");
  // Stands in for Hop3's CLI: records its arguments, user and environment, once per run.
  const fakeHop3 = join(home, "fake-hop3.sh");
  writeFileSync(fakeHop3, `#!/bin/sh\n{ echo "args=$*"; echo "uid=$(id -u)"; echo "HOP3_HOME=$HOP3_HOME"; echo "HOP3_CONFIG=$HOP3_CONFIG"; echo "at=$(date +%s)"; echo ---; } >> ${out}\n`);
  chmodSync(fakeHop3, 0o755);
  const context = deployContext(home, unusedRouter, { env: { ...process.env, HOP3_CONFIG: join(home, "config.json") }, hop3Command: ["/bin/sh", fakeHop3] });
  const deployer = createUwsgiDeployer();
  // Only complete runs: the one being written has no "---" line yet.
  const runs = () => (existsSync(out) ? readFileSync(out, "utf8").split("---\n").slice(0, -1) : []);

  afterAll(async () => {
    await stopEmperor(home);
    expect(processesUnder(home)).toEqual([]);
  });

  it("runs `<hop3Command> server maintain` as root with HOP3_HOME and HOP3_CONFIG, and again a minute later", async () => {
    const started = await deployer.startService!(context);
    expect(started.running).toBe(true);
    const layout = emperorLayout(home);
    expect(existsSync(join(layout.vassals, MAINTENANCE_VASSAL))).toBe(true);
    expect(statSync(layout.maintenanceScript).mode & 0o777).toBe(0o700);
    expect((await pokeEmperor(layout))!.vassals.map((vassal) => vassal.id)).toEqual([MAINTENANCE_VASSAL]);
    const first = await waitFor(() => runs()[0], 15_000, "the first run");
    expect(first).toContain("args=server maintain\n");
    expect(first).toContain("uid=0\n");
    expect(first).toContain(`HOP3_HOME=${home}\n`);
    expect(first).toContain(`HOP3_CONFIG=${join(home, "config.json")}\n`);
    const second = await waitFor(() => runs()[1], 70_000, "the run a minute later");
    const at = (run: string) => Number(/^at=(\d+)$/m.exec(run)![1]);
    expect(at(second) - at(first)).toBeGreaterThanOrEqual(55);
    expect(at(second) - at(first)).toBeLessThanOrEqual(65);
  }, 100_000);

  it("is updated when Hop3 is run from elsewhere, and stays in the folder when the emperor stops", async () => {
    await deployer.startService!({ ...context, hop3Command: ["/bin/sh", fakeHop3, "--from-elsewhere"] });
    expect(readFileSync(emperorLayout(home).maintenanceScript, "utf8")).toContain(`--from-elsewhere server maintain\n`);
    await waitFor(() => runs().some((run) => run.includes("args=--from-elsewhere server maintain")), 15_000, "a run of the updated command");
    await deployer.stopService!(context);
    expect(existsSync(join(emperorLayout(home).vassals, MAINTENANCE_VASSAL))).toBe(true);
  });

  it("stops a run still going when the emperor stops (uWSGI itself leaves cron commands running)", async () => {
    const started = join(home, "slow-started.txt");
    const slowHop3 = join(home, "slow-hop3.sh");
    writeFileSync(slowHop3, `#!/bin/sh\necho started > ${started}\nexec sleep 300\n`);
    await deployer.startService!({ ...context, hop3Command: ["/bin/sh", slowHop3] });
    await waitFor(() => existsSync(started), 70_000, "the slow run to start");
    // The script writes its file, then execs sleep: a loaded machine may not have run the exec yet.
    await waitFor(() => processesUnder(home).some((line) => line.includes("sleep 300")), 10_000, "the slow run's sleep");
    await stopEmperor(home);
    expect(processesUnder(home)).toEqual([]);
  }, 100_000);
});

afterAll(removeTempHomes);
