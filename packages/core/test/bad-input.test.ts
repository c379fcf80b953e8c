/**
 * A corpus of malformed hop3.toml, Procfile and runtime.json texts. Each must fail with the exact
 * code, and its message must name what is wrong and where (the key path, the line).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Hop3Error, parseHop3Toml, parseProcfile, parseRuntimeJson, type CoreErrorCode } from "@hop3/core";

type Format = "hop3.toml" | "Procfile" | "runtime.json";

interface BadInput {
  name: string;
  format: Format;
  input: string;
  code: CoreErrorCode;
  /** Strings the message must contain: the key path, `line N`, the offending value. */
  mentions: string[];
}

/** Joins lines with "\n", so line numbers can be read off the call. */
const lines = (...parts: string[]) => parts.join("\n");

/** An empty directory: the `static` worker of runtime.json rows is resolved against it. */
const baseDir = mkdtempSync(join(tmpdir(), "hop3-bad-input-"));
afterAll(() => rmSync(baseDir, { recursive: true, force: true }));

const hop3Toml: BadInput[] = [
  // Not TOML at all.
  { name: "unclosed table header", format: "hop3.toml", input: lines("[build", 'builder = "nix"'), code: "CONFIG_TOML_SYNTAX", mentions: ["line 1"] },
  { name: "duplicate key", format: "hop3.toml", input: lines("[build]", 'builder = "nix"', 'builder = "local"'), code: "CONFIG_TOML_SYNTAX", mentions: ["line 3"] },
  { name: "duplicate table", format: "hop3.toml", input: lines("[build]", 'builder = "nix"', "", "[build]"), code: "CONFIG_TOML_SYNTAX", mentions: ["line 4"] },
  { name: "unterminated string", format: "hop3.toml", input: lines("[env]", 'FOO = "bar', "BAZ = 1"), code: "CONFIG_TOML_SYNTAX", mentions: ["line 2"] },
  { name: "bad escape in string", format: "hop3.toml", input: lines("[run]", 'start = "a\\qb"'), code: "CONFIG_TOML_SYNTAX", mentions: ["line 2"] },
  { name: "key without value", format: "hop3.toml", input: lines("[metadata]", 'id = "x"', "title ="), code: "CONFIG_TOML_SYNTAX", mentions: ["line 3"] },

  // Sections and keys Hop3 does not know.
  { name: "unknown section", format: "hop3.toml", input: lines("[deploy]", 'target = "x"'), code: "CONFIG_UNKNOWN_KEY", mentions: ["[deploy]", "line 1"] },
  { name: "unknown key in [metadata]", format: "hop3.toml", input: lines("[metadata]", 'id = "demo"', 'owner = "me"'), code: "CONFIG_UNKNOWN_KEY", mentions: ["metadata.owner", "line 3"] },
  { name: "unknown key in [build]", format: "hop3.toml", input: lines("[build]", 'compiler = "gcc"'), code: "CONFIG_UNKNOWN_KEY", mentions: ["build.compiler", "line 2"] },
  { name: "unknown key in [run]", format: "hop3.toml", input: lines("[run]", 'start = "x"', 'command = "y"'), code: "CONFIG_UNKNOWN_KEY", mentions: ["run.command", "line 3"] },
  { name: "unknown key in [healthcheck]", format: "hop3.toml", input: lines("[healthcheck]", 'path = "/"', 'method = "HEAD"'), code: "CONFIG_UNKNOWN_KEY", mentions: ["healthcheck.method", "line 3"] },
  { name: "unknown key in [docker]", format: "hop3.toml", input: lines("[docker]", 'image = "nginx"'), code: "CONFIG_UNKNOWN_KEY", mentions: ["docker.image", "line 2"] },
  { name: "unknown key in [nix]", format: "hop3.toml", input: lines("[nix]", 'channel = "unstable"'), code: "CONFIG_UNKNOWN_KEY", mentions: ["nix.channel", "line 2"] },
  { name: "misspelt key suggests the right one", format: "hop3.toml", input: lines("[build]", 'buidler = "nix"'), code: "CONFIG_UNKNOWN_KEY", mentions: ["build.buidler", "line 2", 'Did you mean "build.builder"'] },
  // [port] takes port names of your choosing (upstream's `[port] admin = 9000`); its long form is closed.
  { name: "misspelt key in [port.web] suggests container", format: "hop3.toml", input: lines("[port.web]", "containr = 8000"), code: "CONFIG_UNKNOWN_KEY", mentions: ["port.web.containr", "line 2", 'Did you mean "port.web.container"'] },
  { name: "misspelt section suggests the right one", format: "hop3.toml", input: lines("# comment", "[buld]", 'builder = "nix"'), code: "CONFIG_UNKNOWN_KEY", mentions: ["[buld]", "line 2", 'Did you mean "build"'] },
  { name: "misspelt start-timeout", format: "hop3.toml", input: lines("[run]", "start-timout = 30"), code: "CONFIG_UNKNOWN_KEY", mentions: ["run.start-timout", 'Did you mean "run.start-timeout"'] },

  // Values of the wrong type or form.
  { name: "builder is a number", format: "hop3.toml", input: lines("[build]", "builder = 3"), code: "CONFIG_INVALID_VALUE", mentions: ["build.builder", "line 2", "the integer 3"] },
  { name: "builder has capitals", format: "hop3.toml", input: lines("[build]", 'builder = "Nix"'), code: "CONFIG_INVALID_VALUE", mentions: ["build.builder", "line 2", '"Nix"'] },
  { name: "start-timeout is a string", format: "hop3.toml", input: lines("[run]", 'start = "x"', 'start-timeout = "30"'), code: "CONFIG_INVALID_VALUE", mentions: ["run.start-timeout", "line 3", "an integer"] },
  { name: "start-timeout is zero", format: "hop3.toml", input: lines("[run]", "start-timeout = 0"), code: "CONFIG_INVALID_VALUE", mentions: ["run.start-timeout", "line 2", "at least 1"] },
  { name: "env value is a table", format: "hop3.toml", input: lines("[env]", "FOO = { a = 1 }"), code: "CONFIG_INVALID_VALUE", mentions: ["env.FOO", "line 2", "a table"] },
  { name: "env value is an array", format: "hop3.toml", input: lines("[env]", 'A = "ok"', "FOO = [1, 2]"), code: "CONFIG_INVALID_VALUE", mentions: ["env.FOO", "line 3", "a list"] },
  { name: "env value is a date", format: "hop3.toml", input: lines("[env]", "SINCE = 1979-05-27T07:32:00Z"), code: "CONFIG_INVALID_VALUE", mentions: ["env.SINCE", "line 2", "a date"] },
  { name: "metadata version is a date", format: "hop3.toml", input: lines("[metadata]", "version = 2024-01-01"), code: "CONFIG_INVALID_VALUE", mentions: ["metadata.version", "line 2", "a date"] },
  { name: "metadata tags holds a number", format: "hop3.toml", input: lines("[metadata]", 'tags = ["web", 2]'), code: "CONFIG_INVALID_VALUE", mentions: ["metadata.tags.1", "line 2"] },
  { name: "workers is a string", format: "hop3.toml", input: lines("[run]", 'workers = "worker: celery"'), code: "CONFIG_INVALID_VALUE", mentions: ["run.workers", "line 2", "a table of strings"] },
  { name: "workers is an array of tables", format: "hop3.toml", input: lines("[run]", 'start = "x"', "[[run.workers]]", 'name = "w"'), code: "CONFIG_INVALID_VALUE", mentions: ["run.workers", "line 3", "a list"] },
  { name: "healthcheck path without leading /", format: "hop3.toml", input: lines("[healthcheck]", 'path = "health"'), code: "CONFIG_INVALID_VALUE", mentions: ["healthcheck.path", "line 2", "starting with /"] },
  { name: "healthcheck timeout is fractional", format: "hop3.toml", input: lines("[healthcheck]", 'path = "/"', "timeout = 1.5"), code: "CONFIG_INVALID_VALUE", mentions: ["healthcheck.timeout", "line 3", "1.5"] },
  { name: "healthcheck retries negative", format: "hop3.toml", input: lines("[healthcheck]", "retries = -1"), code: "CONFIG_INVALID_VALUE", mentions: ["healthcheck.retries", "line 2"] },
  { name: "port above 65535", format: "hop3.toml", input: lines("[port]", "web = 70000"), code: "CONFIG_INVALID_VALUE", mentions: ["port.web", "line 2", "from 1 to 65535"] },
  { name: "port zero, after a [docker] port", format: "hop3.toml", input: lines("[docker]", "port = 8080", "", "[port]", "web = 0"), code: "CONFIG_INVALID_VALUE", mentions: ["port.web", "line 5"] },
  { name: "docker port is a string", format: "hop3.toml", input: lines("[docker]", 'port = "8080"'), code: "CONFIG_INVALID_VALUE", mentions: ["docker.port", "line 2"] },
  { name: "packages is not a list", format: "hop3.toml", input: lines("[metadata]", 'id = "demo"', "", "[build]", 'builder = "nix"', 'packages = "curl"'), code: "CONFIG_INVALID_VALUE", mentions: ["build.packages", "line 6", "a list of strings"] },
  { name: "build section is a number", format: "hop3.toml", input: "build = 3", code: "CONFIG_INVALID_VALUE", mentions: ['"build" must be a table', "line 1"] },
  { name: "build command is a number", format: "hop3.toml", input: lines("[build]", "build = 3"), code: "CONFIG_INVALID_VALUE", mentions: ["build.build", "line 2", "a string or a list of strings"] },
  { name: "before-build is a list of numbers", format: "hop3.toml", input: lines("[build]", "before-build = [1, 2]"), code: "CONFIG_INVALID_VALUE", mentions: ["build.before-build", "line 2"] },
  { name: "nix include is not a list", format: "hop3.toml", input: lines("[nix]", 'include = "nixpkgs=./vendor"'), code: "CONFIG_INVALID_VALUE", mentions: ["nix.include", "line 2"] },
  { name: "docker build-arg is a number", format: "hop3.toml", input: lines("[docker]", "build-args = { VERSION = 2 }"), code: "CONFIG_INVALID_VALUE", mentions: ["docker.build-args.VERSION", "line 2"] },
  { name: "key line found past a multi-line string", format: "hop3.toml", input: lines("[build]", 'build = """', "builder = 1", "[run]", '"""', "builder = 3"), code: "CONFIG_INVALID_VALUE", mentions: ["build.builder", "line 6"] },

  // Names that become file names or shell variables.
  { name: "env name starts with a digit", format: "hop3.toml", input: lines("[env]", '"1FOO" = "x"'), code: "CONFIG_INVALID_VALUE", mentions: ["env.1FOO", "line 2", "environment variable name"] },
  { name: "env name has a hyphen", format: "hop3.toml", input: lines("[env]", 'OK = "1"', '"MY-VAR" = "x"'), code: "CONFIG_INVALID_VALUE", mentions: ["env.MY-VAR", "line 3"] },
  { name: "worker name is a path", format: "hop3.toml", input: lines("[run.workers]", '"../x" = "python w.py"'), code: "WORKER_NAME_INVALID", mentions: ["run.workers.../x", "line 2"] },
  { name: "worker name has a space", format: "hop3.toml", input: lines("[run]", 'workers = { "we b" = "x" }'), code: "WORKER_NAME_INVALID", mentions: ["run.workers.we b", "line 2"] },
  { name: "worker command is empty", format: "hop3.toml", input: lines("[run.workers]", 'clock = "python clock.py"', 'worker = ""'), code: "CONFIG_INVALID_VALUE", mentions: ["run.workers.worker", "line 3", "empty command"] },
  { name: "run.start is blank", format: "hop3.toml", input: lines("[run]", 'start = "   "'), code: "CONFIG_INVALID_VALUE", mentions: ["run.start", "line 2", "empty"] },
];

const procfile: BadInput[] = [
  { name: "line without colon", format: "Procfile", input: lines("web: python app.py", "worker python worker.py"), code: "PROCFILE_SYNTAX", mentions: ["line 2", "worker python worker.py", "no colon"] },
  { name: "empty name", format: "Procfile", input: lines("# workers", ": python app.py"), code: "PROCFILE_SYNTAX", mentions: ["line 2", "empty"] },
  { name: "name is a path", format: "Procfile", input: "../etc: x", code: "WORKER_NAME_INVALID", mentions: ["line 1", '"../etc"'] },
  { name: "name has a space (colon missing after the name)", format: "Procfile", input: lines("", "web gunicorn app:app"), code: "PROCFILE_SYNTAX", mentions: ["line 2", "web gunicorn app:app", "no colon after the worker name"] },
  { name: "name starts with a digit", format: "Procfile", input: "1web: python app.py", code: "WORKER_NAME_INVALID", mentions: ["line 1", '"1web"'] },
  { name: "empty command", format: "Procfile", input: lines("web: python app.py", "worker:"), code: "PROCFILE_COMMAND_EMPTY", mentions: ["line 2", '"worker"'] },
  { name: "blank command", format: "Procfile", input: "web:    ", code: "PROCFILE_COMMAND_EMPTY", mentions: ["line 1", '"web"'] },
  { name: "duplicate worker", format: "Procfile", input: lines("web: a", "", "worker: b", "web: c"), code: "PROCFILE_DUPLICATE_WORKER", mentions: ["line 4", "line 1", '"web"'] },
  { name: "cron with four fields", format: "Procfile", input: "cron: * * * *", code: "PROCFILE_CRON_INVALID", mentions: ["line 1", "five schedule fields"] },
  { name: "cron without command", format: "Procfile", input: lines("web: a", "cron: 0 3 * * *"), code: "PROCFILE_CRON_INVALID", mentions: ["line 2", "a command"] },
  { name: "cron minute 60", format: "Procfile", input: "cron: 60 * * * * ./job", code: "PROCFILE_CRON_INVALID", mentions: ["line 1", "minute", '"60"'] },
  { name: "cron hour 24", format: "Procfile", input: "cron1: 0 24 * * * ./job", code: "PROCFILE_CRON_INVALID", mentions: ["line 1", "cron1", "hour", '"24"'] },
  { name: "cron day of month 0", format: "Procfile", input: "cron: 0 0 0 * * ./job", code: "PROCFILE_CRON_INVALID", mentions: ["day of month", '"0"'] },
  { name: "cron step of zero", format: "Procfile", input: "cron: */0 * * * * ./job", code: "PROCFILE_CRON_INVALID", mentions: ["minute", '"*/0"'] },
  { name: "cron step not a number", format: "Procfile", input: "cron: */x * * * * ./job", code: "PROCFILE_CRON_INVALID", mentions: ["minute", '"*/x"'] },
  { name: "cron reversed range", format: "Procfile", input: "cron: 0 9 * * 5-1 ./job", code: "PROCFILE_CRON_INVALID", mentions: ["day of week", '"5-1"'] },
  { name: "cron month by name", format: "Procfile", input: lines("web: a", "cron-nightly: 0 3 * jan * ./job"), code: "PROCFILE_CRON_INVALID", mentions: ["line 2", "cron-nightly", "month", '"jan"'] },
  { name: "web together with wsgi", format: "Procfile", input: lines("web: gunicorn app:app", "wsgi: app:app"), code: "PROCFILE_HTTP_WORKER_CONFLICT", mentions: ["line 2", '"wsgi"', '"web" on line 1'] },
  { name: "wsgi together with jwsgi", format: "Procfile", input: lines("wsgi: app:app", "worker: celery", "jwsgi: app.jar"), code: "PROCFILE_HTTP_WORKER_CONFLICT", mentions: ["line 3", '"jwsgi"', '"wsgi" on line 1'] },
];

const runtimeJson: BadInput[] = [
  { name: "empty text", format: "runtime.json", input: "", code: "RUNTIME_JSON_NOT_JSON", mentions: ["runtime.json", "not valid JSON"] },
  { name: "trailing comma", format: "runtime.json", input: '{"workers": {"web": "x"},}', code: "RUNTIME_JSON_NOT_JSON", mentions: ["not valid JSON"] },
  { name: "plain text", format: "runtime.json", input: "web: ./bin/app", code: "RUNTIME_JSON_NOT_JSON", mentions: ["not valid JSON"] },
  { name: "single quotes", format: "runtime.json", input: "{'workers': {'web': 'x'}}", code: "RUNTIME_JSON_NOT_JSON", mentions: ["not valid JSON"] },
  { name: "a JSON array", format: "runtime.json", input: '[{"workers": {"web": "x"}}]', code: "RUNTIME_JSON_INVALID", mentions: ["JSON object", "a list"] },
  { name: "a JSON string", format: "runtime.json", input: '"web"', code: "RUNTIME_JSON_INVALID", mentions: ["JSON object", '"web"'] },
  { name: "no workers", format: "runtime.json", input: '{"env": {"A": "1"}}', code: "RUNTIME_JSON_WORKERS_MISSING", mentions: ['"workers"'] },
  { name: "workers empty", format: "runtime.json", input: '{"workers": {}}', code: "RUNTIME_JSON_WORKERS_MISSING", mentions: ['"workers"', "empty"] },
  { name: "workers is an array", format: "runtime.json", input: '{"workers": ["./bin/app"]}', code: "RUNTIME_JSON_INVALID", mentions: ['"workers"', "a list"] },
  { name: "workers is null", format: "runtime.json", input: '{"workers": null}', code: "RUNTIME_JSON_INVALID", mentions: ['"workers"', "null"] },
  { name: "command is a number", format: "runtime.json", input: '{"workers": {"web": 8080}}', code: "RUNTIME_JSON_INVALID", mentions: ['"workers.web"', "the integer 8080"] },
  { name: "command is null", format: "runtime.json", input: '{"workers": {"web": "x", "worker": null}}', code: "RUNTIME_JSON_INVALID", mentions: ['"workers.worker"', "null"] },
  { name: "command is an object", format: "runtime.json", input: '{"workers": {"web": {"cmd": "x"}}}', code: "RUNTIME_JSON_INVALID", mentions: ['"workers.web"', "a table"] },
  { name: "env value is a number", format: "runtime.json", input: '{"workers": {"web": "x"}, "env": {"PORT": 8000}}', code: "RUNTIME_JSON_INVALID", mentions: ['"env.PORT"', "the integer 8000"] },
  { name: "path is a string", format: "runtime.json", input: '{"workers": {"web": "x"}, "path": "/opt/bin"}', code: "RUNTIME_JSON_INVALID", mentions: ['"path"', "a list of strings"] },
  { name: "path holds a number", format: "runtime.json", input: '{"workers": {"web": "x"}, "path": ["/opt/bin", 3]}', code: "RUNTIME_JSON_INVALID", mentions: ['"path.1"', "the integer 3"] },
  { name: "a known key with an unknown key beside it", format: "runtime.json", input: '{"workers": {"web": "x"}, "version": 1, "path": "/opt/bin"}', code: "RUNTIME_JSON_INVALID", mentions: ['"path"', "a list of strings"] },
  { name: "invalid worker name", format: "runtime.json", input: '{"workers": {"web": "x", "my worker": "y"}}', code: "WORKER_NAME_INVALID", mentions: ['"workers.my worker"'] },
  { name: "invalid env name", format: "runtime.json", input: '{"workers": {"web": "x"}, "env": {"MY-VAR": "1"}}', code: "RUNTIME_JSON_INVALID", mentions: ['"env.MY-VAR"', "environment variable name"] },
  { name: "static is a command", format: "runtime.json", input: '{"workers": {"static": "python -m http.server"}}', code: "RUNTIME_JSON_STATIC_NOT_A_PATH", mentions: ['"workers.static"', "python -m http.server"] },
  { name: "static holds a ;", format: "runtime.json", input: '{"workers": {"static": "public;rm"}}', code: "RUNTIME_JSON_STATIC_NOT_A_PATH", mentions: ['"workers.static"', "public;rm"] },
  { name: "static climbs out with ..", format: "runtime.json", input: '{"workers": {"static": "public/../../etc"}}', code: "RUNTIME_JSON_STATIC_NOT_A_PATH", mentions: ['"workers.static"', "public/../../etc"] },
  { name: "static is empty", format: "runtime.json", input: '{"workers": {"static": ""}}', code: "RUNTIME_JSON_STATIC_NOT_A_PATH", mentions: ['"workers.static"'] },
  { name: "static dir missing", format: "runtime.json", input: '{"workers": {"static": "public"}}', code: "RUNTIME_JSON_STATIC_DIR_MISSING", mentions: ['"workers.static"', join(baseDir, "public")] },
];

const corpus = [...hop3Toml, ...procfile, ...runtimeJson];

function parse(format: Format, input: string): unknown {
  switch (format) {
    case "hop3.toml":
      return parseHop3Toml(input, "hop3.toml");
    case "Procfile":
      return parseProcfile(input, "Procfile");
    case "runtime.json":
      return parseRuntimeJson(input, { file: "runtime.json", baseDir });
  }
}

function errorOf(format: Format, input: string): Hop3Error {
  try {
    parse(format, input);
  } catch (error) {
    if (Hop3Error.is(error)) return error;
    throw error;
  }
  throw new Error(`${format} was accepted`);
}

describe("malformed input", () => {
  it("has a large enough corpus", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(45);
    expect(new Set(corpus.map((row) => `${row.format}: ${row.name}`)).size).toBe(corpus.length);
  });

  const cases = corpus.map((row) => [`${row.format}: ${row.name} -> ${row.code}`, row] as const);
  it.each(cases)("%s", (_title, { format, input, code, mentions }) => {
    const error = errorOf(format, input);
    expect(error.code).toBe(code);
    for (const text of mentions) expect(error.message).toContain(text);
    expect(error.hint).not.toBe("");
  });
});
