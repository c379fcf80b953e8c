import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createDistribution, createMemoryLogger } from "@hop3/core";
import { emperorLayout, maintainLogs, MAINTENANCE_VASSAL, parseVassalFileName, renderMaintenanceScript, renderMaintenanceVassal } from "@hop3/deployer-uwsgi";
import { removeTempHomes, tempHome } from "./helpers.js";

describe("Hop3's schedule", () => {
  it("is a vassal no app's can be taken for", () => {
    expect(parseVassalFileName(MAINTENANCE_VASSAL)).toBeUndefined();
    expect(MAINTENANCE_VASSAL.startsWith("_")).toBe(true);
  });

  it("runs its script every minute, never twice at once, with a time limit", () => {
    const layout = emperorLayout("/var/lib/hop3");
    expect(renderMaintenanceVassal(layout)).toBe(
      [
        "; Written by @hop3/deployer-uwsgi: Hop3's own schedule, `hop3 server maintain` every minute, as root.",
        "[uwsgi]",
        "master = true",
        "socket = /var/lib/hop3/uwsgi/sockets/_hop3-maintain.sock",
        "vacuum = true",
        "cheap = true",
        "logto = /var/lib/hop3/uwsgi/maintain.log",
        "cron2 = unique=1,harakiri=300 /bin/sh /var/lib/hop3/uwsgi/maintain.sh",
        "",
      ].join("\n"),
    );
  });

  it("runs `<hop3Command> server maintain` with HOP3_HOME, HOP3_CONFIG and PATH, every argument quoted", () => {
    const home = tempHome();
    const script = renderMaintenanceScript(home, ["/bin/sh", "-c", `printf '%s|' "$@" "$HOP3_HOME" "$HOP3_CONFIG"; echo "$PATH"`, "it's"], {
      HOP3_CONFIG: "/etc/hop3 config.json",
      PATH: "/usr/bin:/bin",
      SECRET: "not passed",
    });
    expect(script).not.toContain("SECRET");
    const output = execFileSync("/bin/sh", ["-c", script], { encoding: "utf8", env: {} });
    expect(output).toBe(`server|maintain|${home}|/etc/hop3 config.json|/usr/bin:/bin\n`);
  });
});

describe("maintainLogs", () => {
  const megabytes = (count: number) => "x".repeat(count * 1024 * 1024);

  it("rotates each app's worker logs and the emperor's in place, caps each app's logs, and says what it did", async () => {
    const home = tempHome();
    const config = join(home, "config.json");
    writeFileSync(config, JSON.stringify({ logs: { maxSize: "1M", keep: 2, appCap: "3M" } }));
    const logs = join(home, "apps", "blog", "logs");
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, "web.1.log"), megabytes(2));
    writeFileSync(join(logs, "worker.1.log"), "small\n");
    writeFileSync(join(logs, "web.2.log.1"), megabytes(1)); // an old rotated file
    writeFileSync(join(logs, "web.2.log.2"), megabytes(1));
    mkdirSync(join(home, "uwsgi"), { recursive: true });
    writeFileSync(join(home, "uwsgi", "emperor.log"), megabytes(2));
    mkdirSync(join(home, "apps", "not_an_app", "logs"), { recursive: true });
    writeFileSync(join(home, "apps", "not_an_app", "logs", "web.1.log"), megabytes(2));

    const context = createDistribution({ plugins: [], env: { HOP3_HOME: home, HOP3_CONFIG: config } }).operationContext({ logger: createMemoryLogger() });
    const done = await maintainLogs(context);
    expect(done).toEqual([
      `Rotated ${join(logs, "web.1.log")} (${2 * 1024 * 1024} bytes).`,
      expect.stringMatching(new RegExp(`^Freed \\d+ bytes of blog's logs in ${logs}, to keep them within ${3 * 1024 * 1024} bytes\\.$`)),
      `Rotated ${join(home, "uwsgi", "emperor.log")} (${2 * 1024 * 1024} bytes).`,
    ]);
    expect(statSync(join(logs, "web.1.log")).size).toBe(0);
    expect(readFileSync(join(logs, "web.1.log.1"), "utf8")).toMatch(/^\[hop3\] \d+ earlier bytes of this log were dropped/);
    expect(readFileSync(join(logs, "worker.1.log"), "utf8")).toBe("small\n");
    expect(readdirSync(logs).reduce((sum, file) => sum + statSync(join(logs, file)).size, 0)).toBeLessThanOrEqual(3 * 1024 * 1024);
    expect(statSync(join(home, "apps", "not_an_app", "logs", "web.1.log")).size).toBe(2 * 1024 * 1024);
    expect(await maintainLogs(context)).toEqual([]);
  });
});

afterAll(removeTempHomes);
