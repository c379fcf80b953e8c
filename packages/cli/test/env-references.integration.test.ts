import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesUnder } from "@hop3/test-support";
import { freePort, hop3, httpGet } from "./run-hop3.js";

// hop3.toml [env] references through the real `hop3`, nix-build, uWSGI emperor and nginx: the worker
// gets the app's facts and values generated once, and the same values after a redeploy, a restart
// and a rollback; the values are never printed; an addon reference nothing resolves stops the plan
// before any build, and a value given with the deploy wins over it.
const fixture = resolve(import.meta.dirname, "../../../test-fixtures/apps/nix-env-refs");
const root = mkdtempSync(join(tmpdir(), "hop3-env-refs-"));
const home = join(root, "home");
let port = 0;
let env: Record<string, string> = {};
const run = (...args: string[]) => hop3(args, env);

/** A copy of the fixture, with hop3.toml extended. */
function appDir(name: string, extraToml = ""): string {
  const dir = join(root, "apps", name);
  cpSync(fixture, dir, { recursive: true });
  if (extraToml) writeFileSync(join(dir, "hop3.toml"), `${readFileSync(join(dir, "hop3.toml"), "utf8")}${extraToml}`);
  return dir;
}

/** What the worker received, as it prints it. */
async function seen(app: string): Promise<Record<string, string>> {
  const page = await httpGet(port, `${app}.localhost`, "/");
  expect(page.status, page.body).toBe(200);
  const line = /^env: (.*)$/m.exec(page.body)?.[1] ?? "";
  return Object.fromEntries(line.split(" ").map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]));
}

beforeAll(async () => {
  chmodSync(root, 0o711); // app users pass through to HOP3_HOME
  port = await freePort();
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port), NIX_CONFIG: "substituters =\n" };
});

afterAll(async () => {
  for (const app of ["shop", "billing"]) await run("destroy", app, "--yes");
  await run("server", "stop");
  expect(processesUnder(home)).toEqual([]);
  rmSync(root, { recursive: true, force: true });
}, 120_000);

describe.sequential("[env] references, deployed", () => {
  const dir = appDir("shop");
  let first: Record<string, string> = {};
  const printed: string[] = [];

  it("plans each reference: facts shown, generated values 'at first deploy'", async () => {
    const plan = await run("plan", dir, "--app", "shop", "--json");
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.json<{ env: string[] }>().env).toEqual([
      "SECRET_KEY = (generated at first deploy: urlsafe, 43 characters)",
      'API_TOKEN = (generated at first deploy: password, 20 characters, prefix "tk_")',
      "APP_NAME = shop (app fact name)",
      "APP_HOST = shop.localhost (app fact host)",
    ]);
  });

  it("gives the worker the facts and the values generated at the first deploy, kept root's and 0600", async () => {
    const deploy = await run("deploy", dir, "--app", "shop");
    expect(deploy.code, deploy.stderr).toBe(0);
    printed.push(deploy.stdout, deploy.stderr);
    expect(deploy.stdout + deploy.stderr).toContain("[env] SECRET_KEY was generated; it is kept for the next deploys.");
    first = await seen("shop");
    expect(first).toMatchObject({ GREETING: "plain", APP_NAME: "shop", APP_HOST: "shop.localhost", DB_HOST: "" });
    expect(first.SECRET_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.API_TOKEN).toMatch(/^tk_[A-Za-z0-9]{20}$/);
    const secrets = statSync(join(home, "apps", "shop", "secrets.json"));
    expect(secrets.mode & 0o777).toBe(0o600);
    expect(secrets.uid).toBe(0);
  });

  it("keeps the same values across a redeploy, a restart and a rollback", async () => {
    const redeploy = await run("deploy", dir, "--app", "shop");
    expect(redeploy.code, redeploy.stderr).toBe(0);
    printed.push(redeploy.stdout, redeploy.stderr);
    expect(redeploy.stdout + redeploy.stderr).not.toContain("was generated");
    expect(await seen("shop")).toEqual(first);

    expect((await run("restart", "shop")).code).toBe(0);
    expect(await seen("shop")).toEqual(first);

    const rollback = await run("rollback", "shop");
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(await seen("shop")).toEqual(first);
  });

  it("never prints a generated value: deploy, plan, config, status and releases", async () => {
    for (const args of [["plan", dir, "--app", "shop", "--json"], ["plan", dir, "--app", "shop"], ["config", "show", "shop", "--json"], ["status", "shop", "--json"], ["releases", "shop", "--json"]]) {
      const result = await run(...args);
      expect(result.code, result.stderr).toBe(0);
      printed.push(result.stdout, result.stderr);
    }
    expect(printed.join("\n")).toMatch(/^ {2}SECRET_KEY = \*{8} \(generated \S+, kept\)$/m); // the text plan
    for (const text of printed) {
      expect(text).not.toContain(first.SECRET_KEY);
      expect(text).not.toContain(first.API_TOKEN);
    }
  });

  // A deploy makes and attaches hop3.toml's [[addons]] before its plan (addon-postgres's tests); a plan makes nothing.
  it("stops the plan when an addon reference has no value yet, and makes nothing", async () => {
    const billing = appDir("billing", '\nDB_HOST = { from = "db", key = "PGHOST" }\n\n[[addons]]\ntype = "postgres"\nname = "db"\n');
    const refused = await run("plan", billing, "--app", "billing", "--json");
    expect(refused.code, refused.stdout + refused.stderr).toBe(1);
    expect(refused.json<{ error: { code: string; hint: string } }>().error).toMatchObject({ code: "ENV_ADDON_UNRESOLVED", hint: expect.stringContaining("hop3 config set billing DB_HOST=") });
    expect(existsSync(join(home, "apps", "billing"))).toBe(false);
    expect(existsSync(join(home, "addons"))).toBe(false);
  });
});
