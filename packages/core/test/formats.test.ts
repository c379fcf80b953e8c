/**
 * Valid hop3.toml, Procfile and runtime.json texts, and how an app directory's configuration is
 * found and merged.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  Hop3Error,
  loadApp,
  loadAppConfig,
  normalizeConfig,
  parseHop3Toml,
  parseProcfile,
  parseRuntimeJson,
} from "@hop3/core";

const lines = (...parts: string[]) => parts.join("\n");

const tempRoot = mkdtempSync(join(tmpdir(), "hop3-formats-"));
afterAll(() => rmSync(tempRoot, { recursive: true, force: true }));

let tempCount = 0;
/** A fresh directory holding the given files (paths relative to it). */
function makeDir(files: Record<string, string> = {}, name = "app"): string {
  const dir = join(tempRoot, String(++tempCount), name);
  mkdirSync(dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** The code of the Hop3Error `run` throws. */
function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (Hop3Error.is(error)) return error.code;
    throw error;
  }
  throw new Error("no error was thrown");
}

describe("parseHop3Toml", () => {
  it("parses a full hop3.toml of the Hop3 dialect", () => {
    const source = lines(
      "# A Flask app with a worker",
      "[metadata]",
      'id = "demo"',
      'version = "1.2.0"',
      'title = "Demo"',
      'description = "A demo app"',
      'author = "Jane"',
      'license = "MIT"',
      'website = "https://example.org"',
      'repository = "https://example.org/demo.git"',
      'tags = ["python", "flask"]',
      'categories = ["demo"]',
      "",
      "[build]",
      'builder = "local"',
      'toolchain = "python"',
      'before-build = "echo start"',
      "build = [",
      '  "pip install -r requirements.txt",',
      '  "python manage.py collectstatic",',
      "]",
      'after-build = """',
      "echo done",
      '"""',
      'packages = ["libpq-dev"]',
      'node-version = "20"',
      'ignore = ["*.pyc", ".venv"]',
      "",
      "[run]",
      'start = "gunicorn -b $BIND_ADDRESS:$PORT app:app"',
      'before-run = ["python manage.py migrate"]',
      'packages = ["postgresql-client"]',
      "start-timeout = 60",
      "",
      "[run.workers]",
      'worker = "celery -A app worker"',
      'clock = "python clock.py"',
      "",
      "[env]",
      'FLASK_ENV = "production"',
      "WORKERS = 4",
      "DEBUG = false",
      "",
      "[healthcheck]",
      'path = "/health"',
      "timeout = 5",
      "interval = 2",
      "retries = 0",
      'contains = "ok"',
      "",
      "[port]",
      "web = 8000",
      "",
      "[docker]",
      'dockerfile = "Dockerfile.prod"',
      "port = 8080",
      'target = "runtime"',
      'build-args = { PYTHON_VERSION = "3.12" }',
      "",
      "[nix]",
      'include = ["nixpkgs=./vendor/nixpkgs"]',
      'options = { sandbox = "true" }',
      "timeout = 900",
    );
    expect(parseHop3Toml(source, "hop3.toml")).toEqual({
      metadata: {
        id: "demo",
        version: "1.2.0",
        title: "Demo",
        description: "A demo app",
        author: "Jane",
        license: "MIT",
        website: "https://example.org",
        repository: "https://example.org/demo.git",
        tags: ["python", "flask"],
        categories: ["demo"],
      },
      build: {
        builder: "local",
        toolchain: "python",
        "before-build": "echo start",
        build: ["pip install -r requirements.txt", "python manage.py collectstatic"],
        "after-build": "echo done\n",
        packages: ["libpq-dev"],
        "node-version": "20",
        ignore: ["*.pyc", ".venv"],
      },
      run: {
        start: "gunicorn -b $BIND_ADDRESS:$PORT app:app",
        "before-run": ["python manage.py migrate"],
        packages: ["postgresql-client"],
        "start-timeout": 60,
        workers: { worker: "celery -A app worker", clock: "python clock.py" },
      },
      env: { FLASK_ENV: "production", WORKERS: 4, DEBUG: false },
      healthcheck: { path: "/health", timeout: 5, interval: 2, retries: 0, contains: "ok" },
      port: { web: 8000 },
      docker: { dockerfile: "Dockerfile.prod", port: 8080, target: "runtime", "build-args": { PYTHON_VERSION: "3.12" } },
      nix: { include: ["nixpkgs=./vendor/nixpkgs"], options: { sandbox: "true" }, timeout: 900 },
    });
  });

  it("accepts an empty file and dotted keys", () => {
    expect(parseHop3Toml("")).toEqual({});
    expect(parseHop3Toml('build.builder = "nix"\nrun.workers.clock = "./clock"')).toEqual({
      build: { builder: "nix" },
      run: { workers: { clock: "./clock" } },
    });
  });
});

describe("parseProcfile", () => {
  it("classifies each worker", () => {
    const { entries } = parseProcfile(
      lines(
        "web: gunicorn app:app",
        "static: public",
        "cron: */5 * * * * python tick.py",
        "cron1: 0 3 * * 1-5 python nightly.py",
        "prebuild: ./fetch.sh",
        "postbuild: ./compile.sh",
        "prerun: python manage.py migrate",
        "release: python manage.py check",
        "worker: celery -A app worker",
        "clock_2: python clock.py",
      ),
    );
    expect(entries.map(({ name, kind }) => [name, kind])).toEqual([
      ["web", "http"],
      ["static", "static"],
      ["cron", "cron"],
      ["cron1", "cron"],
      ["prebuild", "hook"],
      ["postbuild", "hook"],
      ["prerun", "hook"],
      ["release", "hook"],
      ["worker", "worker"],
      ["clock_2", "worker"],
    ]);
  });

  it.each(["wsgi", "jwsgi", "rwsgi"])("classifies %s as the HTTP worker", (name) => {
    expect(parseProcfile(`${name}: app:app`).entries).toEqual([{ name, command: "app:app", kind: "http", line: 1 }]);
  });

  it("skips comments and blank lines and keeps real line numbers", () => {
    const { entries } = parseProcfile(lines("# the app", "", "web:   python app.py  ", "   ", "  # web: old", "worker: python w.py", ""));
    expect(entries).toEqual([
      { name: "web", command: "python app.py", kind: "http", line: 3 },
      { name: "worker", command: "python w.py", kind: "worker", line: 6 },
    ]);
  });

  it("keeps colons after the first in the command", () => {
    expect(parseProcfile("wsgi: app.main:app").entries[0]).toMatchObject({ name: "wsgi", command: "app.main:app" });
  });

  it("accepts CRLF line endings", () => {
    const { entries } = parseProcfile("web: python app.py\r\n\r\nworker: python w.py\r\n");
    expect(entries).toEqual([
      { name: "web", command: "python app.py", kind: "http", line: 1 },
      { name: "worker", command: "python w.py", kind: "worker", line: 3 },
    ]);
  });

  it("accepts an empty Procfile", () => {
    expect(parseProcfile("").entries).toEqual([]);
    expect(parseProcfile("# nothing yet\n").entries).toEqual([]);
  });
});

describe("upstream Procfiles", () => {
  const upstream = fileURLToPath(new URL("../../../../shared/compat/hop3-upstream", import.meta.url));

  // CI has the corpus: there it runs (and fails if the corpus is missing); elsewhere it may be absent.
  it.skipIf(!existsSync(upstream) && !process.env.CI)("parses every Procfile of the upstream corpus", () => {
    const procfiles = readdirSync(upstream, { recursive: true, encoding: "utf8" })
      .filter((path) => basename(path) === "Procfile")
      .sort();
    expect(procfiles).toHaveLength(7);
    const failures: string[] = [];
    for (const path of procfiles) {
      try {
        parseProcfile(readFileSync(join(upstream, path), "utf8"), path);
      } catch (error) {
        failures.push(`${path}: ${Hop3Error.is(error) ? `${error.code} ${error.message}` : String(error)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe("parseRuntimeJson", () => {
  it("reads a web worker", () => {
    const text = '{"workers": {"web": "/nix/store/abc-app/bin/app --port $PORT"}}';
    expect(parseRuntimeJson(text)).toEqual({ runtime: { workers: { web: "/nix/store/abc-app/bin/app --port $PORT" } }, warnings: [] });
  });

  it("reads a static-only app whose directory exists", () => {
    const out = makeDir({ "public/index.html": "<h1>hi</h1>" });
    expect(parseRuntimeJson('{"workers": {"static": "public"}}', { baseDir: out }).runtime).toEqual({ workers: { static: "public" } });
    const absolute = JSON.stringify({ workers: { static: join(out, "public") } });
    expect(parseRuntimeJson(absolute, { baseDir: out }).runtime).toEqual({ workers: { static: join(out, "public") } });
  });

  it("does not look for the static directory without a baseDir", () => {
    expect(parseRuntimeJson('{"workers": {"static": "/nix/store/abc-site/public"}}').runtime.workers.static).toBe("/nix/store/abc-site/public");
  });

  it("reads env, path and several workers", () => {
    const runtime = {
      workers: { web: "/nix/store/abc-app/bin/server", worker: "/nix/store/abc-app/bin/queue" },
      env: { PYTHONUNBUFFERED: "1", APP_MODE: "production" },
      path: ["/nix/store/abc-app/bin", "/nix/store/def-tools/bin"],
    };
    expect(parseRuntimeJson(JSON.stringify(runtime, null, 2), { file: "/nix/store/abc-app/hop3/runtime.json" })).toEqual({ runtime, warnings: [] });
  });

  it("ignores a key the specification does not define, with a warning naming it (as the original reads only the keys it knows)", () => {
    const text = '{"workers": {"web": "serve"}, "version": 2, "healthcheck": "/up"}';
    expect(parseRuntimeJson(text, { file: "/nix/store/abc-app/hop3/runtime.json" })).toEqual({
      runtime: { workers: { web: "serve" } },
      warnings: [
        '/nix/store/abc-app/hop3/runtime.json has a key Hop3 does not know, "version" (runtime.json holds workers, env and path): it is ignored.',
        '/nix/store/abc-app/hop3/runtime.json has a key Hop3 does not know, "healthcheck" (runtime.json holds workers, env and path): it is ignored.',
      ],
    });
  });
});

describe("normalizeConfig", () => {
  const merge = (toml: string, procfile: string) =>
    normalizeConfig(parseHop3Toml(toml), parseProcfile(procfile), { hop3Toml: "/app/hop3.toml", procfile: "/app/Procfile" });

  it("has defaults for an app with neither file", () => {
    const config = normalizeConfig({}, { entries: [] });
    expect(config).toMatchObject({
      files: {},
      builder: "auto",
      build: { beforeBuild: [], commands: [], afterBuild: [], packages: [], ignore: [] },
      beforeRun: [],
      hooks: { prebuild: [], postbuild: [] },
      workers: {},
      cron: [],
      env: {},
      warnings: [],
    });
    expect(config.healthcheck).toBeUndefined();
    expect(config.toolchain).toBeUndefined();
  });

  it("makes run.start the web worker, overriding the Procfile's with a warning", () => {
    const config = merge(lines("[run]", 'start = "gunicorn app:app"'), lines("web: python app.py", "worker: python w.py"));
    expect(config.workers).toEqual({ web: "gunicorn app:app", worker: "python w.py" });
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toContain('"web"');
  });

  it("drops a Procfile wsgi worker when hop3.toml defines web", () => {
    const config = merge(lines("[run]", 'start = "gunicorn app:app"'), "wsgi: app:app");
    expect(config.workers).toEqual({ web: "gunicorn app:app" });
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toContain('"wsgi"');
  });

  it("adds run.workers, and hop3.toml wins a same-named worker", () => {
    const config = merge(
      lines("[run.workers]", 'worker = "celery -A app worker"', 'clock = "python clock.py"'),
      lines("web: python app.py", "worker: python old_worker.py"),
    );
    expect(config.workers).toEqual({ web: "python app.py", worker: "celery -A app worker", clock: "python clock.py" });
    expect(config.warnings).toEqual([expect.stringContaining('"worker"')]);
  });

  it("sends Procfile hooks to hooks and beforeRun, and parses cron jobs", () => {
    const config = merge(
      lines("[run]", 'before-run = "python manage.py migrate"'),
      lines(
        "prebuild: ./fetch.sh",
        "postbuild: ./compile.sh",
        "release: python manage.py check",
        "static: public",
        "cron: */15 * * * * python tick.py --all",
        "cron-nightly: 0 3 * * 1-5 ./nightly",
      ),
    );
    expect(config.hooks).toEqual({ prebuild: ["./fetch.sh"], postbuild: ["./compile.sh"] });
    expect(config.beforeRun).toEqual(["python manage.py migrate", "python manage.py check"]);
    expect(config.workers).toEqual({ static: "public", cron: "*/15 * * * * python tick.py --all", "cron-nightly": "0 3 * * 1-5 ./nightly" });
    expect(config.cron).toEqual([
      { name: "cron", schedule: "*/15 * * * *", command: "python tick.py --all", line: 5 },
      { name: "cron-nightly", schedule: "0 3 * * 1-5", command: "./nightly", line: 6 },
    ]);
  });

  it("writes env numbers and booleans as text", () => {
    const config = merge(lines("[env]", 'NAME = "demo"', "WORKERS = 4", "RATIO = 0.5", "DEBUG = false"), "");
    expect(config.env).toEqual({ NAME: "demo", WORKERS: "4", RATIO: "0.5", DEBUG: "false" });
  });

  it("maps build, healthcheck and start-timeout", () => {
    const config = merge(
      lines(
        "[build]",
        'builder = "nix"',
        'toolchain = "node"',
        'before-build = "npm ci"',
        'build = ["npm run build", "npm prune"]',
        'packages = ["git"]',
        "[run]",
        "start-timeout = 30",
        "[healthcheck]",
        'path = "/up"',
        "timeout = 3",
        "retries = 2",
      ),
      "",
    );
    expect(config).toMatchObject({
      builder: "nix",
      toolchain: "node",
      build: { beforeBuild: ["npm ci"], commands: ["npm run build", "npm prune"], afterBuild: [], packages: ["git"], ignore: [] },
      healthcheck: { path: "/up", timeoutSeconds: 3, retries: 2 },
      startTimeoutSeconds: 30,
    });
  });
});

describe("loadAppConfig", () => {
  it("reads hop3/hop3.toml before a hop3.toml at the root", () => {
    const dir = makeDir({
      "hop3/hop3.toml": '[build]\nbuilder = "nix"\n',
      "hop3.toml": '[build]\nbuilder = "local"\n',
      Procfile: "web: python app.py\n",
    });
    const config = loadAppConfig(dir);
    expect(config.builder).toBe("nix");
    expect(config.files).toEqual({ hop3Toml: join(dir, "hop3", "hop3.toml"), procfile: join(dir, "Procfile") });
    expect(config.workers).toEqual({ web: "python app.py" });
  });

  it("reads a root hop3.toml and a Procfile in hop3/", () => {
    const dir = makeDir({ "hop3.toml": '[env]\nA = 1\n', "hop3/Procfile": "worker: ./run\n" });
    const config = loadAppConfig(dir);
    expect(config.files).toEqual({ hop3Toml: join(dir, "hop3.toml"), procfile: join(dir, "hop3", "Procfile") });
    expect(config.env).toEqual({ A: "1" });
    expect(config.workers).toEqual({ worker: "./run" });
  });

  it("gives defaults for a directory without config files", () => {
    const config = loadAppConfig(makeDir({ "index.html": "hi" }));
    expect(config.files).toEqual({ hop3Toml: undefined, procfile: undefined });
    expect(config.builder).toBe("auto");
    expect(config.workers).toEqual({});
  });

  it("names the file in errors", () => {
    const dir = makeDir({ "hop3/hop3.toml": "[build]\nbuidler = 1\n" });
    expect(() => loadAppConfig(dir)).toThrow(`${join(dir, "hop3", "hop3.toml")} line 2`);
  });
});

describe("loadApp", () => {
  it("derives the app name from the directory name", () => {
    const dir = makeDir({ Procfile: "web: python app.py\n" }, "My_App.v2");
    const app = loadApp(dir);
    expect(app.name).toBe("my-app-v2");
    expect(app.dir).toBe(dir);
    expect(app.config.workers).toEqual({ web: "python app.py" });
  });

  it("takes a valid explicit name", () => {
    expect(loadApp(makeDir({}, "Whatever_Dir"), { appName: "shop" }).name).toBe("shop");
  });

  it("rejects an invalid explicit name", () => {
    expect(codeOf(() => loadApp(makeDir(), { appName: "My_App" }))).toBe("APP_NAME_INVALID");
    expect(codeOf(() => loadApp(makeDir(), { appName: "-app" }))).toBe("APP_NAME_INVALID");
  });

  it("rejects a directory name with nothing usable", () => {
    expect(codeOf(() => loadApp(makeDir({}, "___")))).toBe("APP_NAME_INVALID");
  });

  it("rejects a missing directory", () => {
    expect(codeOf(() => loadApp(join(tempRoot, "does-not-exist")))).toBe("APP_DIR_NOT_FOUND");
  });

  it("rejects a file given as the directory", () => {
    const file = join(makeDir({ "hop3.toml": "" }), "hop3.toml");
    expect(codeOf(() => loadApp(file))).toBe("APP_DIR_NOT_FOUND");
  });
});

describe("normalizeConfig keeps one HTTP worker and says what it overrides", () => {
  it("refuses two HTTP workers declared in hop3.toml", async () => {
    const { normalizeConfig, parseHop3Toml } = await import("@hop3/core");
    const toml = parseHop3Toml('[run]\nstart = "a"\n[run.workers]\nwsgi = "b"\n');
    expect(() => normalizeConfig(toml, { entries: [] })).toThrowError(/"web" and "wsgi" are both HTTP workers/);
  });

  it("warns when [run] start replaces [run.workers] web", async () => {
    const { normalizeConfig, parseHop3Toml } = await import("@hop3/core");
    const config = normalizeConfig(parseHop3Toml('[run]\nstart = "a"\n[run.workers]\nweb = "b"\n'), { entries: [] });
    expect(config.workers.web).toBe("a");
    expect(config.warnings.join()).toContain("[run] start wins");
  });

  it("checks / when [healthcheck] gives no path", async () => {
    const { normalizeConfig, parseHop3Toml } = await import("@hop3/core");
    expect(normalizeConfig(parseHop3Toml("[healthcheck]\ntimeout = 5\n"), { entries: [] }).healthcheck).toEqual({ path: "/", timeoutSeconds: 5 });
  });

  it("refuses a static worker that is not a directory inside the app", async () => {
    const { normalizeConfig, parseProcfile } = await import("@hop3/core");
    expect(() => normalizeConfig({}, parseProcfile("static: ../../etc\n"))).toThrowError(/not a directory inside the app/);
  });
});
