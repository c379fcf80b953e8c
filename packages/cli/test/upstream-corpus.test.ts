/**
 * `hop3 validate` on every app of the original Hop3's configuration corpus
 * (`../shared/compat/hop3-upstream/`, next to the repository): each must be read and map to the
 * workers and builder upstream meant, and exit 0 unless its build would be refused for what this
 * distribution lacks (REFUSED). The corpus is test data, read where it lies.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtInCommands, createCli, EXIT, loadDefaultDistribution } from "@hop3/cli";
import { memoryIO } from "./memory-io.js";
import { UPSTREAM_CORPUS } from "./run-hop3.js";

const corpus = UPSTREAM_CORPUS;
const present = existsSync(corpus);

// CI has the corpus: there a missing corpus is a failure, never a skip.
if (!present && process.env.CI) {
  describe("upstream corpus", () => {
    it("is present next to the repository", () => {
      expect.fail(`${corpus} is missing; CI must run hop3 validate on the upstream corpus.`);
    });
  });
} else if (!present) {
  console.warn(`Skipping the upstream corpus tests: ${corpus} is not there.`);
}

const home = mkdtempSync(join(tmpdir(), "hop3-corpus-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const env = { HOP3_HOME: home, NO_COLOR: "1" };
const cli = createCli(() => loadDefaultDistribution({ ...process.env, ...env }), { name: "hop3", version: "0.0.0", commands: builtInCommands });

/** The app directories of the corpus: every directory holding a hop3.toml or a Procfile. */
const files = present ? readdirSync(corpus, { recursive: true, encoding: "utf8" }).filter((path) => /(^|\/)(hop3\.toml|Procfile)$/.test(path)) : [];
const apps = [...new Set(files.map((path) => dirname(path)))].sort();

/**
 * Apps whose build this distribution would refuse, by the code `hop3 validate` names before the
 * build: none detected for a hop3.toml that names the Local builder without a toolchain.
 */
const REFUSED: Readonly<Record<string, string>> = {
  "apps__ngi-apps__native-based/uptime-kuma": "LOCAL_NO_TOOLCHAIN",
  "bad/apps__bad__real-apps-native-bad/vaultwarden": "LOCAL_NO_TOOLCHAIN",
};

async function validate(app: string) {
  const io = memoryIO(corpus, env);
  const code = await cli.run(["validate", app, "--json"], io);
  return { code, data: JSON.parse(io.out()), stderr: io.err() };
}

describe.skipIf(!present)("hop3 validate on the upstream corpus", () => {
  it("holds the 57 hop3.toml and 7 Procfiles of 63 apps", () => {
    expect(files.filter((path) => path.endsWith("hop3.toml"))).toHaveLength(57);
    expect(files.filter((path) => path.endsWith("Procfile"))).toHaveLength(7);
    expect(apps).toHaveLength(63);
  });

  it.each(apps)("accepts %s", async (app) => {
    const { code, data, stderr } = await validate(app);
    if (app in REFUSED) {
      // Read, then refused before the build for what this distribution lacks, never for its configuration.
      expect({ code, error: data.error?.code }).toEqual({ code: EXIT.userError, error: REFUSED[app] });
      return;
    }
    expect({ code, error: data.error, stderr }).toEqual({ code: EXIT.ok, error: undefined, stderr: "" });
    expect(data.valid).toBe(true);
    // Whatever is not acted on is named in a warning, never dropped.
    for (const { what } of data.notActedOn) expect(data.warnings).toContainEqual(expect.stringContaining(what));
  });

  it.each<[string, Record<string, unknown>]>([
    // Catalogue dialect: [processes] are workers, [run] start the web one; [port] web the container port.
    ["apps__marketplace/baserow", { builder: "auto", containerPort: { port: 80, source: "hop3.toml [port] web" }, workers: { backend: "/app/code/env/bin/python /app/code/backend/src/baserow/manage.py runserver 0.0.0.0:8000", worker: "/app/code/env/bin/celery -A baserow worker -l INFO", frontend: "yarn --cwd /app/code/web-frontend start", web: "/app/scripts/start.sh" } }],
    // [app] builder and [web] port.
    ["apps__marketplace/ghost", { builder: "docker", containerPort: { port: 2368, source: "hop3.toml [web] port" }, workers: {} }],
    // Strings stay raw: %%h is celery's, not ours.
    ["apps__marketplace/weblate", { workers: expect.objectContaining({ celery_main: "/app/code/venv/bin/celery -A weblate.utils worker -l INFO -n main@%%h", web: "/app/scripts/start.sh" }) }],
    // Hop3 dialect: [run] start, [run.workers], start-timeout; a generated secret kept raw.
    ["apps__real-apps-native/bugsink", { builder: "local", toolchain: "python", workers: { snappea: "bugsink-runsnappea", web: "gunicorn bugsink.wsgi:application --bind 0.0.0.0:$PORT --pythonpath . --access-logfile - --error-logfile -" }, run: { beforeRun: ["bash scripts/setup.sh"], startTimeoutSeconds: 120 }, deferredEnv: { SECRET_KEY: { generate: "urlsafe" } } }],
    // [healthcheck] contains is the health gate's body check.
    ["apps__real-apps-docker/mastodon", { builder: "auto", workers: {}, healthcheck: { path: "/health", contains: "OK" } }],
    ["apps__real-apps-nix/keycloak", { builder: "nix", workers: {}, computedEnv: { KC_BOOTSTRAP_ADMIN_USERNAME: "${HOP3_ADMIN_USER}", KC_BOOTSTRAP_ADMIN_PASSWORD: "${HOP3_ADMIN_PASSWORD}" } }],
    // Procfile only: a preflight hook runs before the build.
    ["apps__real-apps/matomo", { builder: "auto", workers: { web: "hop3/run.py" }, build: expect.objectContaining({ hooks: { prebuild: ["hop3/fetch.py"], postbuild: [] } }) }],
    ["apps__test-apps-procfile/155-flask-redis", { builder: "auto", workers: { wsgi: "app:app" } }],
    ["apps__test-apps/000-static", { builder: "auto", workers: { static: "public" } }],
    // A PHP app: the php toolchain, named by hop3.toml; [run] start is its web worker.
    ["apps__native-apps/adminer", { builder: "local", toolchain: "php", workers: { web: "php -S 0.0.0.0:${PORT:-8080}" }, checks: { deployer: "uwsgi" } }],
  ])("maps %s", async (app, expected) => {
    const { code, data } = await validate(app);
    expect(code).toBe(EXIT.ok);
    expect(data).toMatchObject(expected);
  });

  it("refuses before the build an app whose hop3.toml names the Local builder and no toolchain detects it", async () => {
    const { data } = await validate("apps__ngi-apps__native-based/uptime-kuma");
    expect(data.error).toMatchObject({ code: "LOCAL_NO_TOOLCHAIN" });
  });

  it("shows the same warnings in hop3 plan", async () => {
    const validated = await validate("apps__real-apps-nix/keycloak");
    const io = memoryIO(corpus, env);
    expect(await cli.run(["plan", "apps__real-apps-nix/keycloak", "--json"], io)).toBe(EXIT.ok);
    const plan = JSON.parse(io.out());
    expect(validated.data.warnings.length).toBeGreaterThan(2);
    expect(plan.warnings).toEqual(expect.arrayContaining(validated.data.warnings));
  });
});
