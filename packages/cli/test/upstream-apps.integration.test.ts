/**
 * The original Hop3's test apps that need neither `wsgi` (upstream-wsgi) nor Go (upstream-go) deploy
 * unchanged: the real `hop3 deploy` of each, read where it lies in the compat corpus
 * (`../shared/compat/hop3-upstream-apps/`, next to the repository), then what its check.py checks:
 * GET / through nginx succeeds and holds the text. Express comes from the npm registry, Flask and
 * gunicorn from the machine's pip mirror.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesUnder } from "@hop3/test-support";
import { freePort, hop3, httpGet, UPSTREAM_TEST_APPS } from "./run-hop3.js";

const corpus = UPSTREAM_TEST_APPS;
const home = mkdtempSync(join(tmpdir(), "hop3-upstream-"));
let env: Record<string, string> = {};
let port = 0;

// Upstream's directory, the app's name here, and the text its check.py asserts (100 has no
// check.py: its app.py answers the same as 010's).
const APPS = [
  ["000-static", "upstream-static", "Hello World!"],
  ["020-nodejs-express", "upstream-express", "Hello World"],
  ["100-flask-gunicorn-pip", "upstream-gunicorn", "Hello World!"],
] as const;

beforeAll(async () => {
  port = await freePort();
  // The machine's pip mirror (root's pip.conf here), given to Hop3 as an operator would: no index is reachable.
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port), PIP_INDEX_URL: "file:///opt/pypi/simple", PIP_EXTRA_INDEX_URL: "file:///opt/pypi-more/simple", PIP_FIND_LINKS: "/opt/wheels" };
});

afterAll(async () => {
  for (const [, app] of APPS) await hop3(["destroy", app, "--yes"], env);
  await hop3(["server", "stop"], env);
  expect(processesUnder(home)).toEqual([]);
  rmSync(home, { recursive: true, force: true });
}, 120_000);

describe.sequential("upstream test apps", () => {
  it("finds the corpus next to the repository", () => {
    expect(existsSync(corpus), `${corpus} is missing`).toBe(true);
  });

  it.each(APPS)("deploys %s unchanged and serves what its check.py checks", async (dir, app, text) => {
    const result = await hop3(["deploy", join(corpus, dir), "--app", app, "--json"], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ app, status: "running" });
    const page = await httpGet(port, `${app}.localhost`, "/");
    expect(page.status).toBe(200);
    expect(page.body).toContain(text);
  });
});
