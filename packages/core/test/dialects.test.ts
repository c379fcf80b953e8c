/**
 * Both dialects of the original Hop3's hop3.toml: every section each one defines is accepted,
 * what Hop3 acts on is mapped into the normalized AppConfig, what it does not is kept and warned
 * about, and anything else is still an error naming the file, the line and the key.
 */
import { describe, expect, it } from "vitest";
import { Hop3Error, normalizeConfig, parseHop3Toml, parseProcfile, type AppConfig } from "@hop3/core";

const lines = (...parts: string[]) => parts.join("\n");
const config = (toml: string, procfile = ""): AppConfig =>
  normalizeConfig(parseHop3Toml(toml), parseProcfile(procfile), { hop3Toml: "/app/hop3.toml", ...(procfile && { procfile: "/app/Procfile" }) }, toml);

function failure(run: () => unknown): Hop3Error {
  try {
    run();
  } catch (error) {
    if (Hop3Error.is(error)) return error;
    throw error;
  }
  throw new Error("no error was thrown");
}

/** One section of a dialect, as upstream writes it, and the warning it must give (none when acted on). */
interface SectionCase {
  readonly section: string;
  readonly toml: string;
  /** A part of the warning; undefined when Hop3 acts on the whole section. */
  readonly warns?: string;
}

const hop3Dialect: SectionCase[] = [
  { section: "[metadata]", toml: lines("[metadata]", 'id = "a"', 'name = "a"', 'version = "1"', 'title = "A"', 'description = "d"', 'author = "x"', 'license = "MIT"', 'website = "w"', 'homepage = "h"', 'repository = "r"', 'tags = ["t"]', 'categories = ["c"]') },
  { section: "[build]", toml: lines("[build]", 'builder = "local"', 'toolchain = "python"', 'before-build = "a"', 'build = ["b"]', 'after-build = "c"', 'ignore = ["*.pyc"]') },
  { section: "[build] keys not acted on", toml: lines("[build]", 'packages = ["git"]', 'node-version = "22"', 'test = "pytest"', 'pip-install = ["x"]', 'ignore-file = ".hop3ignore"', 'static-dir = "site"'), warns: "[build] packages, node-version, test, pip-install, ignore-file, static-dir" },
  { section: "[run]", toml: lines("[run]", 'start = "gunicorn app:app"', 'before-run = ["migrate"]', "start-timeout = 60", "[run.workers]", 'worker = "celery"') },
  { section: "[run] packages", toml: lines("[run]", 'packages = ["ffmpeg"]'), warns: "[run] packages" },
  { section: "[run] static", toml: lines("[run]", 'static = { "/static" = "static" }'), warns: "[run] static" },
  { section: "[env] plain values", toml: lines("[env]", 'A = "x"', "B = 2", "C = true") },
  { section: "[env] generated values and app facts", toml: lines("[env]", 'S = { generate = "urlsafe" }', 'P = { generate = "password", length = 20, prefix = "p:", display = true }', 'N = { key = "name" }', "R = { random = true }") },
  { section: "[env] addon references", toml: lines("[[addons]]", 'type = "postgres"', 'name = "db"', "[env]", 'H = { from = "db", key = "PGHOST" }') },
  { section: "[env.computed]", toml: lines("[env.computed]", 'URL = "postgres://${PGHOST}:${PGPORT:-5432}"'), warns: "[env.computed] URL" },
  { section: "[env] _policy", toml: lines("[env]", '_policy = "override"'), warns: "[env] _policy" },
  { section: "[healthcheck]", toml: lines("[healthcheck]", 'path = "/up"', "timeout = 5", "interval = 2", "retries = 3", 'contains = "ok"') },
  { section: "[port] web", toml: lines("[port]", "web = 3000") },
  { section: "[port] other names", toml: lines("[port]", "web = { container = 3000, public = true, https = false }", "admin = 9000", "[port.extra]", "api = 5555"), warns: "[port] admin, extra" },
  { section: "[docker]", toml: lines("[docker]", 'dockerfile = "Dockerfile"', "port = 8080", 'target = "web"', "build-args = { A = \"1\" }") },
  { section: "[docker] runtime", toml: lines("[docker]", 'runtime = "docker-compose"'), warns: "[docker] runtime" },
  { section: "[nix]", toml: lines("[nix]", 'include = ["nixpkgs=/srv/nixpkgs"]', "timeout = 60", "[nix.options]", 'sandbox = "true"') },
  {
    section: "[nix] template keys",
    toml: lines("[nix]", 'template = "nixpkgs-wrapper"', 'nixpkgs-package = "keycloak"', 'exec-target = "kc.sh"', "exec-args = ['start-dev']", "extra-paths = ['${keycloak}/bin']", "[nix.local-vars]", 'PORT = "${PORT:-8080}"', "[nix.runtime-env]", 'KC_DB = "postgres"', "[nix.env-exports]", 'KC_DB_URL = "jdbc:x"', "[[nix.file-mappings]]", 'source = "a"', 'destination = "b"'),
    warns: "[nix] template, nixpkgs-package, exec-target, exec-args, extra-paths, local-vars, runtime-env, env-exports, file-mappings",
  },
  { section: "[[addons]] (acted on at deploy)", toml: lines("[[addons]]", 'type = "postgres"', 'name = "db"', "[[addons]]", 'type = "s3"', 'bucket = "x"') },
  { section: "[test]", toml: lines("[test]", 'priority = "P1"', 'tier = "fast"', 'author = "me"', 'targets = ["docker"]', 'covers = ["x"]', "expects-failure = false", "[[test.validations]]", 'path = "/"', "status = 200", 'contains = "ok"', "status-in = [200, 202]"), warns: "[test]" },
  { section: "[admin]", toml: lines("[admin]", 'username = "admin"', 'email = "a@b.c"', 'password = { generate = "password", length = 20 }'), warns: "[admin]" },
  { section: "[[volumes]]", toml: lines("[[volumes]]", 'name = "store"', 'target = "data/store"', 'type = "persist"', 'mode = "0700"', "backup = { include = false }"), warns: "[[volumes]] mode, backup" },
  { section: "[domains]", toml: lines("[domains]", 'list = ["example.org"]', '_policy = "override"') },
  { section: "[backup]", toml: lines("[backup]", 'paths = ["data"]', 'exclude = ["*.tmp"]'), warns: "[backup]" },
  { section: "[static]", toml: lines("[static]", '"/media" = "media"'), warns: "[static]" },
  { section: "[[ports]]", toml: lines("[[ports]]", "number = 1935", 'protocol = "tcp"', 'name = "rtmp"', 'source = "10.0.0.0/8"'), warns: "[[ports]]" },
  { section: "[limits]", toml: lines("[limits]", 'memory = "512M"', "cpu = 1.5", "processes = 64", "open-files = 4096") },
  { section: "[contexts]", toml: lines("[contexts.prod]", 'server = "ssh://root@prod.example.org"', 'app = "blog"', "domains = { list = [\"blog.example.org\"] }", "env = { DEBUG = false }", "[contexts.dev]", 'server = "ssh://dev"', 'domains = ["dev.local"]'), warns: "[contexts]" },
  {
    section: "[waf]",
    toml: lines("[waf]", "enabled = true", 'mode = "detect"', 'ruleset = "owasp-crs"', "paranoia = 2", 'allow = ["^/$"]', "[[waf.gate]]", 'paths = ["^/admin"]', 'require = "office"', "[[waf.tuning]]", "disable-rule-ids = [942100]", 'reason = "search box"', "[waf.bans]", "enabled = true", "threshold = 5", 'window = "10m"', 'duration = "1h"'),
    warns: "[waf]",
  },
];

const catalogueDialect: SectionCase[] = [
  { section: "[app]", toml: lines("[app]", 'name = "ghost"', 'builder = "docker"') },
  { section: "[web]", toml: lines("[web]", "port = 2368") },
  { section: "[processes]", toml: lines("[processes]", 'worker = "celery -A app worker"') },
  { section: "[source]", toml: lines("[source]", 'type = "tarball"', 'url = "https://x/${upstream_version}.tgz"', "[source.nodejs]", 'version = "22"', "[source.plugins]", 'oauth = { version = "1", url = "u" }', 'auth = { version = "1", npm = "p" }'), warns: "[source]" },
  { section: "[[provider]] (acted on at deploy)", toml: lines("[[provider]]", 'name = "redis"', "options = { noPassword = true }") },
  { section: "[integration]", toml: lines("[integration]", "sendmail = true", 'sso = "optional"', "ldap = true", "turn = true", "[integration.oidc]", "enabled = true", 'redirect_uri = "/cb"'), warns: "[integration]" },
  { section: "[storage]", toml: lines("[storage]", "local = true"), warns: "[storage]" },
  { section: "[resources]", toml: lines("[resources]", 'memory = "256M"') },
  { section: "[php]", toml: lines("[php]", 'memory_limit = "64M"', "session_gc_divisor = 100"), warns: "[php]" },
  { section: "[scheduler]", toml: lines("[scheduler]", 'job = { schedule = "*/5 * * * *", command = "./cron.sh" }', 'housekeeping = "15,45 * * * *"', 'housekeeping_command = "./h.sh"') },
  { section: "[tcp_ports]", toml: lines("[tcp_ports]", 'rtmp = { default = 1935, container = 1935, title = "RTMP", description = "d" }'), warns: "[tcp_ports]" },
  { section: "[udp_ports]", toml: lines("[udp_ports]", "WG = { default = 51820 }"), warns: "[udp_ports]" },
  { section: "[capabilities]", toml: lines("[capabilities]", "net_admin = true", "ping = true"), warns: "[capabilities]" },
];

describe.each([
  ["Hop3 dialect", hop3Dialect],
  ["catalogue dialect", catalogueDialect],
])("%s", (_dialect, cases) => {
  it.each(cases.map((c) => [c.section, c] as const))("reads %s", (_section, { toml, warns }) => {
    const { warnings, notActedOn } = config(toml);
    if (warns === undefined) {
      expect(warnings).toEqual([]);
      expect(notActedOn).toEqual([]);
    } else {
      expect(warnings).toEqual([expect.stringContaining(`hop3.toml ${warns}: recognized but not acted on`)]);
      expect(notActedOn.map((n) => n.what)).toEqual([warns]);
    }
  });
});

describe("what Hop3 acts on is mapped into the normalized configuration", () => {
  it.each<[string, string, string, Partial<AppConfig>]>([
    ["[processes] become workers", lines("[processes]", 'worker = "celery"', 'beat = "celery beat"'), "", { workers: { worker: "celery", beat: "celery beat" } }],
    ["[run.workers] win over [processes] of the same name", lines("[processes]", 'worker = "old"', "[run.workers]", 'worker = "new"'), "", { workers: { worker: "new" } }],
    ["[run] start is the web worker, over a [processes] web", lines("[run]", 'start = "./start.sh"', "[processes]", 'web = "yarn start"', 'api = "yarn api"'), "", { workers: { web: "./start.sh", api: "yarn api" } }],
    ["a [run] start list is joined with &&", lines("[run]", 'start = ["cd app", "./serve"]'), "", { workers: { web: "cd app && ./serve" } }],
    ["[processes] come after the Procfile's workers", lines("[processes]", 'worker = "celery"'), "web: gunicorn app:app", { workers: { web: "gunicorn app:app", worker: "celery" } }],
    ["[app] builder is the builder", lines("[app]", 'builder = "docker"'), "", { builder: "docker" }],
    ["[limits] are the app's limits", lines("[limits]", 'memory = "512M"', "cpu = 1.5", "processes = 64", "open-files = 4096"), "", { limits: { memoryBytes: 512 * 1024 ** 2, cpus: 1.5, processes: 64, openFiles: 4096 } }],
    ["[resources] memory is the memory limit", lines("[resources]", 'memory = "2G"'), "", { limits: { memoryBytes: 2 * 1024 ** 3 } }],
    ["[build] builder and the same [app] builder", lines("[build]", 'builder = "docker"', "[app]", 'builder = "docker"'), "", { builder: "docker" }],
    ["[port] web is the container port", lines("[port]", "web = 3000"), "", { containerPort: { port: 3000, source: "hop3.toml [port] web" } }],
    ["[port] web in its long form", lines("[port.web]", "container = 3001"), "", { containerPort: { port: 3001, source: "hop3.toml [port] web" } }],
    ["[web] port is the container port", lines("[web]", "port = 2368"), "", { containerPort: { port: 2368, source: "hop3.toml [web] port" } }],
    ["[docker] port first, when the others agree", lines("[docker]", "port = 80", "[port]", "web = 80", "[web]", "port = 80"), "", { containerPort: { port: 80, source: "hop3.toml [docker] port" } }],
    ["[healthcheck] contains is the health gate's body check", lines("[healthcheck]", 'contains = "OK"', 'path = "/health"'), "", { healthcheck: { path: "/health", contains: "OK" } }],
    ["[run] healthcheck and healthcheck-timeout, the older form", lines("[run]", 'healthcheck = "/ping"', "healthcheck-timeout = 4"), "", { healthcheck: { path: "/ping", timeoutSeconds: 4 } }],
    ["[healthcheck] wins over [run] healthcheck", lines("[run]", 'healthcheck = "/old"', "[healthcheck]", 'path = "/new"'), "", { healthcheck: { path: "/new" } }],
    ["linked values stay raw, apart from plain ones", lines("[env]", 'A = "1"', 'S = { generate = "urlsafe" }', "[env.computed]", 'U = "${A}-${PORT:-8080}"'), "", { env: { A: "1" }, deferredEnv: { S: { generate: "urlsafe" } }, computedEnv: { U: "${A}-${PORT:-8080}" } }],
    ["[[volumes]] are the app's volumes", lines("[[volumes]]", 'name = "store"', 'target = "data/store"', 'type = "persist"'), "", { volumes: [{ name: "store", target: "data/store" }] }],
    ["strings are kept raw", lines("[run]", 'start = "php -S 0.0.0.0:${PORT:-8080}"', "[processes]", 'celery = "celery -n main@%%h"'), "", { workers: { celery: "celery -n main@%%h", web: "php -S 0.0.0.0:${PORT:-8080}" } }],
  ])("%s", (_name, toml, procfile, expected) => {
    expect(config(toml, procfile)).toMatchObject(expected);
  });

  it("keeps every section in the raw toml, acted on or not", () => {
    const { toml } = config(lines("[[addons]]", 'type = "postgres"', "[storage]", "local = true", "[php]", 'memory_limit = "64M"'));
    expect(toml).toEqual({ addons: [{ type: "postgres" }], storage: { local: true }, php: { memory_limit: "64M" } });
  });
});

describe("errors name the file, the line and the key", () => {
  it.each<[string, string, string, string[]]>([
    ["unknown catalogue section, near miss", lines("[app]", 'name = "x"', "", "[proceses]", 'web = "x"'), "CONFIG_UNKNOWN_KEY", ["line 4", "unknown section [proceses]", 'Did you mean "processes"']],
    ["unknown section, near miss with an underscore", lines("[tcp_port]", "a = { default = 1 }"), "CONFIG_UNKNOWN_KEY", ["line 1", "[tcp_port]", 'Did you mean "tcp_ports"']],
    ["unknown key in [app]", lines("[app]", 'buildr = "docker"'), "CONFIG_UNKNOWN_KEY", ["line 2", "app.buildr", 'Did you mean "app.builder"']],
    ["unknown key in an env generator", lines("[env]", 'S = { generat = "urlsafe" }'), "CONFIG_UNKNOWN_KEY", ["line 2", "env.S.generat", 'Did you mean "env.S.generate"']],
    ["unknown key in a [[volumes]] entry", lines("[[volumes]]", 'name = "a"', 'target = "a"', "[[volumes]]", 'name = "b"', 'targt = "b"'), "CONFIG_UNKNOWN_KEY", ["line 6", "volumes.1.targt", 'Did you mean "volumes.1.target"']],
    ["unknown key in [[test.validations]]", lines("[[test.validations]]", 'path = "/"', 'contain = "ok"'), "CONFIG_UNKNOWN_KEY", ["line 3", "test.validations.0.contain", 'Did you mean "test.validations.0.contains"']],
    ["unknown integration", lines("[integration]", "sendmial = true"), "CONFIG_UNKNOWN_KEY", ["line 2", "integration.sendmial", 'Did you mean "integration.sendmail"']],
    ["unknown [nix] key", lines("[nix]", 'templte = "x"'), "CONFIG_UNKNOWN_KEY", ["line 2", "nix.templte", 'Did you mean "nix.template"']],
    ["[web] port is a string", lines("[web]", 'port = "80"'), "CONFIG_INVALID_VALUE", ["line 2", '"web.port" must be an integer from 1 to 65535', 'the string "80"']],
    ["[storage] local is a string", lines("[storage]", 'local = "yes"'), "CONFIG_INVALID_VALUE", ["line 2", '"storage.local" must be true or false']],
    ["[processes] command is a number", lines("[processes]", "web = 1"), "CONFIG_INVALID_VALUE", ["line 2", '"processes.web" must be a string']],
    ["[[provider]] is a table", lines("[provider]", 'name = "redis"'), "CONFIG_INVALID_VALUE", ["line 1", '"provider" must be a list']],
    ["[resources] memory without a unit form", lines("[resources]", 'memory = "lots"'), "CONFIG_INVALID_VALUE", ["line 2", "resources.memory"]],
    ["unknown generator", lines("[env]", 'S = { generate = "random" }'), "CONFIG_INVALID_VALUE", ["line 2", "env.S.generate", '"urlsafe"']],
    ["[test] priority out of its words", lines("[test]", 'priority = "high"'), "CONFIG_INVALID_VALUE", ["line 2", "test.priority", '"P0" or "P1" or "P2"']],
    ["[scheduler] entry without a command", lines("[scheduler]", 'job = { schedule = "* * * * *" }'), "CONFIG_INVALID_VALUE", ["line 2", "scheduler.job.command"]],
    ["[domains] without list", lines("[domains]", '_policy = "override"'), "CONFIG_INVALID_VALUE", ["line 1", "domains.list", "a list of strings"]],
    ["env reference without key", lines("[env]", 'H = { from = "db" }'), "CONFIG_INVALID_VALUE", ["line 2", "env.H", "without a `key`"]],
    ["env computed name invalid", lines("[env.computed]", '"A-B" = "x"'), "CONFIG_INVALID_VALUE", ["line 2", "env.computed.A-B", "environment variable name"]],
    ["[processes] name invalid", lines("[processes]", '"1web" = "x"'), "WORKER_NAME_INVALID", ["line 2", "processes.1web"]],
    ["volume target climbs out", lines("[[volumes]]", 'name = "a"', 'target = "../etc"'), "VOLUME_TARGET_INVALID", ["line 3", "volumes.0.target", "`..`"]],
    ["volume name with a slash", lines("[[volumes]]", 'name = "a/b"', 'target = "a"'), "VOLUME_NAME_INVALID", ["line 2", "volumes.0.name"]],
    ["two volumes, one target inside the other", lines("[[volumes]]", 'name = "a"', 'target = "data"', "[[volumes]]", 'name = "b"', 'target = "data/b"'), "VOLUME_CONFLICT", ["line 6", "volumes.1.target", 'volume "a"']],
    ["a tmpfs volume", lines("[[volumes]]", 'name = "a"', 'target = "a"', 'type = "tmpfs"'), "VOLUME_TYPE_UNSUPPORTED", ["line 4", "volumes.0.type"]],
    ["addon without type or name", lines("[[addons]]", "version = 16"), "CONFIG_INVALID_VALUE", ["line 1", "addons.0", "names no service"]],
    ["empty [run] start list", lines("[run]", "start = []"), "CONFIG_INVALID_VALUE", ["line 2", "run.start", "empty"]],
    ["[[ports]] entry without a number", lines("[[ports]]", 'name = "rtmp"'), "CONFIG_INVALID_VALUE", ["line 1", "ports.0.number"]],
    ["[waf] mode out of its words", lines("[waf]", 'mode = "log"'), "CONFIG_INVALID_VALUE", ["line 2", "waf.mode", '"block" or "detect"']],
    ["[contexts] entry without server", lines("[contexts.prod]", 'app = "x"'), "CONFIG_INVALID_VALUE", ["line 1", "contexts.prod.server"]],
    ["[contexts] name invalid", lines('[contexts."-x"]', 'server = "s"'), "CONFIG_INVALID_VALUE", ["line 1", "contexts.-x", "context name"]],
    ["[limits] key misspelt", lines("[limits]", 'memroy = "1G"'), "CONFIG_UNKNOWN_KEY", ["line 2", "limits.memroy", 'Did you mean "limits.memory"']],
  ])("%s", (_name, toml, code, mentions) => {
    const error = failure(() => parseHop3Toml(toml, "hop3.toml"));
    expect(error.code).toBe(code);
    for (const text of mentions) expect(error.message).toContain(text);
    expect(error.details).toMatchObject({ file: "hop3.toml", line: expect.any(Number), key: expect.any(String) });
  });

  it.each<[string, string, number, string, string]>([
    ["two builders", lines("[build]", 'builder = "nix"', "[app]", 'builder = "docker"'), 4, "app.builder", '[build] builder is "nix" and [app] builder is "docker"'],
    ["two container ports", lines("[docker]", "port = 80", "[port]", "web = 8080"), 4, "port.web", "hop3.toml [docker] port is 80 and hop3.toml [port] web is 8080"],
    ["[web] port against [port] web", lines("[port]", "web = 3000", "[web]", "port = 3001"), 4, "web.port", "hop3.toml [port] web is 3000 and hop3.toml [web] port is 3001"],
    ["two HTTP workers", lines("[run]", 'start = "a"', "[processes]", 'wsgi = "app:app"'), 4, "processes.wsgi", 'workers "web" and "wsgi" are both HTTP workers'],
  ])("%s contradict each other", (_name, toml, line, key, message) => {
    const error = failure(() => config(toml));
    expect(error.code).toBe("CONFIG_INVALID_VALUE");
    expect(error.message).toContain(`/app/hop3.toml line ${line}: `);
    expect(error.message).toContain(message);
    expect(error.details).toMatchObject({ file: "/app/hop3.toml", line, key });
  });
});
