/**
 * The original Hop3's `wsgi` apps deploy unchanged: the real `hop3 deploy` of each, read where it
 * lies in the compat corpus (`../shared/compat/hop3-upstream-apps/`, next to the repository), built
 * by the Local builder (Flask from the machine's pip mirror), run by uWSGI's python3 plugin, then
 * what the app's check.py checks: GET / through nginx holds the text.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, hop3, httpGet } from "./run-hop3.js";

const repositoryRoot = resolve(import.meta.dirname, "..", "..", "..");
// Next to the checkout; a worktree deeper down finds it through /tmp/shared.
const corpus = [resolve(repositoryRoot, ".."), "/tmp"].map((dir) => join(dir, "shared", "compat", "hop3-upstream-apps", "test-apps")).find(existsSync) ?? resolve(repositoryRoot, "..", "shared", "compat", "hop3-upstream-apps", "test-apps");
const home = mkdtempSync(join(tmpdir(), "hop3-wsgi-"));
let env: Record<string, string> = {};
let port = 0;

beforeAll(async () => {
  port = await freePort();
  // The machine's pip mirror (root's pip.conf here), given to Hop3 as an operator would: no index is reachable.
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port), PIP_INDEX_URL: "file:///opt/pypi/simple", PIP_EXTRA_INDEX_URL: "file:///opt/pypi-more/simple", PIP_FIND_LINKS: "/opt/wheels" };
});

afterAll(async () => {
  await hop3(["server", "stop"], env);
});

describe.sequential("upstream wsgi apps", () => {
  it("finds the corpus next to the repository", () => {
    expect(existsSync(corpus), `${corpus} is missing`).toBe(true);
  });

  // The text each check.py asserts is in the page (120's app is 010's, without a check.py).
  it.each([
    ["010-flask-pip-wsgi", "flask-wsgi", "Hello World!"],
    ["120-flask-pip-alt", "flask-alt", "Hello World!"],
  ])("deploys %s unchanged and serves what its check.py checks", async (dir, app, text) => {
    const source = join(corpus, dir);
    const result = await hop3(["deploy", source, "--app", app, "--json"], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ app, builder: "local", status: "running" });
    const page = await httpGet(port, `${app}.localhost`, "/");
    expect(page.status).toBe(200);
    expect(page.body).toContain(text);
  });
});
