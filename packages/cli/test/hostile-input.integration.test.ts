import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesUnder } from "@hop3/test-support";
import { makeRoot, showMsgWorker, snapshotTree, writeCaseApp, type CaseFiles } from "./hostile-home.js";
import { freePort, hop3, httpGet, type Hop3Run } from "./run-hop3.js";

// Bad and hostile input through the real `hop3` (real nix-build, uWSGI emperor, nginx), one
// HOP3_HOME for every case. Two sentinel apps, deployed once, must keep serving, untouched, after
// each case; nothing outside the case app's own state may be written; each refusal is a coded
// error, never a stack trace. A case that fails here is a bug in Hop3, to be fixed there.
const fixtures = resolve(import.meta.dirname, "../../../test-fixtures/apps");
const root = makeRoot(tmpdir());
const home = join(root, "home");
const cases = join(root, "cases");
const outside = join(root, "outside"); // where a path escaping HOP3_HOME would land
const SENTINEL_DOMAIN = "sentinel.example.test";
let port = 0;
let env: Record<string, string> = {};
const run = (args: readonly string[], extraEnv: Record<string, string> = {}) => hop3(args, { ...env, ...extraEnv });
const get = (host: string, path = "/") => httpGet(port, host, path);

interface CaseContext {
  /** The case's app name (valid), unique to the case. */
  readonly app: string;
  /** Its directory, made from the row's files. */
  readonly dir: string;
}

interface HostileCase {
  readonly id: string;
  /** What is set up, in words. */
  readonly what: string;
  /** Files of the case app (see writeCaseApp), replacing the defaults. */
  readonly files?: CaseFiles;
  /** Changes the case app's directory further; returns another directory to use instead, if any. */
  readonly prepare?: (c: CaseContext) => string | void;
  /** The hop3 arguments; `--json` is added. */
  readonly command: (c: CaseContext) => string[];
  /** The error code expected, or 0 when the input must be accepted. */
  readonly code: string | 0;
  /** More to check once the command ran (before the case app is destroyed). */
  readonly check?: (c: CaseContext, result: Hop3Run) => Promise<void> | void;
}

const deploy = (...more: string[]) => (c: CaseContext) => ["deploy", c.dir, "--app", c.app, ...more];
const nixDerivation = (name: string, script: string) =>
  `{ package = builtins.derivation { name = "${name}"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; args = [ "-c" ${JSON.stringify(script)} ]; }; }\n`;
const sentinelWebPort = () => JSON.parse(readFileSync(join(home, "apps/sentinel-web/deploy/state.json"), "utf8")).ports["web.1"] as number;
const sentinelDomains = (app: string) => JSON.parse(readFileSync(join(home, "apps", app, "app.json"), "utf8")).domains as string[];

/** hop3.toml with one volume at `target`. */
const volumeToml = (target: string, more = "") => `${more}[[volumes]]\nname = "store"\ntarget = ${JSON.stringify(target)}\n`;
/** A Local app (no hop3.nix) with a volume at data/store, whose build runs `build`. */
const localVolumeApp = (build = "true"): CaseFiles => ({
  "hop3.nix": undefined,
  "runtime.json": undefined,
  Procfile: "web: exec sleep 1000\n",
  "hop3.toml": volumeToml("data/store", `[build]\ntoolchain = "generic"\nbuild = ${JSON.stringify(build)}\n\n`),
});

/** The values a worker must receive byte for byte: shell, uWSGI and nginx metacharacters. */
const SHELL_VALUE = `$(touch ${outside}/pwned) \`touch ${outside}/pwned\` ; touch ${outside}/pwned | & > < 'single' "double" \\ 100% %% %(x) %d {}`;
const shownMsg = async (app: string, value: string) => {
  const page = await get(`${app}.localhost`);
  expect(page.status).toBe(200);
  expect(page.body).toContain(`env: MSG=${value}\n`);
  expect(existsSync(join(outside, "pwned"))).toBe(false);
};

const table: HostileCase[] = [
  // hop3.toml: keys and sections that stay invalid whatever new sections the schema gains.
  { id: "toml-syntax", what: "hop3.toml that is not TOML", files: { "hop3.toml": "[run\nstart = 1\n" }, command: deploy(), code: "CONFIG_TOML_SYNTAX" },
  { id: "toml-misspelled-section", what: "a misspelled top-level section", files: { "hop3.toml": '[enviroment]\nMSG = "x"\n' }, command: deploy(), code: "CONFIG_UNKNOWN_KEY" },
  { id: "toml-wrong-type", what: "start-timeout given as a string", files: { "hop3.toml": '[run]\nstart-timeout = "soon"\n' }, command: deploy(), code: "CONFIG_INVALID_VALUE" },
  { id: "toml-binary", what: "hop3.toml of binary bytes", files: { "hop3.toml": new Uint8Array([0xff, 0xfe, 0x00, 0x5b, 0x0a, 0x00]) }, command: deploy(), code: "CONFIG_TOML_SYNTAX" },
  { id: "toml-worker-traversal", what: "a [run.workers] name with ../", files: { "hop3.toml": '[run.workers]\n"../../evil" = "sleep 1"\n' }, command: deploy(), code: "WORKER_NAME_INVALID" },
  { id: "toml-env-bad-name", what: "an [env] name with a space and ;", files: { "hop3.toml": '[env]\n"BAD NAME;x" = "1"\n' }, command: deploy(), code: "CONFIG_INVALID_VALUE" },
  { id: "toml-deployer-path", what: "a [run] deployer that is a path and a shell command", files: { "hop3.toml": '[run]\ndeployer = "../../bin/sh; touch /tmp/x"\n' }, command: deploy(), code: "CONFIG_INVALID_VALUE" },
  { id: "toml-deployer-unknown", what: "a [run] deployer the server does not have, refused before the build", files: { "hop3.toml": '[run]\ndeployer = "kubernetes"\n' }, command: deploy(), code: "DEPLOYER_UNKNOWN" },
  {
    id: "toml-healthcheck-crlf",
    what: "a [healthcheck] path with a space and CR LF",
    files: { "hop3.toml": `[healthcheck]\npath = ${JSON.stringify("/ready HTTP/1.1\r\nX-Evil: 1")}\n` },
    command: deploy(),
    code: "CONFIG_INVALID_VALUE",
  },
  // Procfile
  { id: "procfile-garbage", what: "a Procfile line with no name", files: { Procfile: "just some words\n" }, command: deploy(), code: "PROCFILE_SYNTAX" },
  { id: "procfile-empty-command", what: "a worker with no command", files: { Procfile: "web:\n" }, command: deploy(), code: "PROCFILE_COMMAND_EMPTY" },
  { id: "procfile-duplicate", what: "the same worker twice", files: { Procfile: "worker: sleep 1\nworker: sleep 2\n" }, command: deploy(), code: "PROCFILE_DUPLICATE_WORKER" },
  { id: "procfile-cron", what: "a cron line with minute 61", files: { Procfile: "cron: 61 * * * * echo hi\n" }, command: deploy(), code: "PROCFILE_CRON_INVALID" },
  {
    id: "toml-cron-ini-injection",
    what: "a hop3.toml cron worker whose schedule carries uWSGI directives on new lines",
    files: { "hop3.toml": `[run.workers]\ncron = ${JSON.stringify("* * * * *\n[uwsgi]\nuid = 0\nid")}\n` },
    command: deploy(),
    code: "PROCFILE_CRON_INVALID",
  },
  { id: "procfile-web-wsgi", what: "web and wsgi together", files: { Procfile: "web: a\nwsgi: b\n" }, command: deploy(), code: "PROCFILE_HTTP_WORKER_CONFLICT" },
  { id: "procfile-name-semicolon", what: "a worker name with ; and {", files: { Procfile: "bad;name{: sleep 1\n" }, command: deploy(), code: "WORKER_NAME_INVALID" },
  // hop3.nix
  { id: "nix-syntax", what: "hop3.nix that does not parse", files: { "hop3.nix": "{ package = ; }\n" }, command: deploy(), code: "NIX_SYNTAX_ERROR" },
  { id: "nix-undefined", what: "hop3.nix naming an undefined variable", files: { "hop3.nix": "{ package = notDefinedAnywhere; }\n" }, command: deploy(), code: "NIX_EVALUATION_ERROR" },
  { id: "nix-no-package", what: "hop3.nix without `package`", files: { "hop3.nix": "{ pkg = 1; }\n" }, command: deploy(), code: "NIX_PACKAGE_ATTRIBUTE_MISSING" },
  { id: "nix-build-fails", what: "a derivation whose builder exits 1", files: { "hop3.nix": nixDerivation("fails", "exit 1") }, command: deploy(), code: "NIX_BUILD_FAILED" },
  { id: "nix-no-runtime-json", what: "an output without hop3/runtime.json", files: { "hop3.nix": nixDerivation("bare", "mkdir -p $out") }, command: deploy(), code: "NIX_RUNTIME_JSON_MISSING" },
  // runtime.json (what the build wrote)
  { id: "runtime-not-json", what: "runtime.json that is not JSON", files: { "runtime.json": "{workers: nope" }, command: deploy(), code: "RUNTIME_JSON_NOT_JSON" },
  { id: "runtime-no-workers", what: "runtime.json without workers", files: { "runtime.json": { env: {} } }, command: deploy(), code: "RUNTIME_JSON_WORKERS_MISSING" },
  { id: "runtime-worker-newline", what: "a worker name holding a newline", files: { "runtime.json": { workers: { "web\n[uwsgi]": "sleep 1" } } }, command: deploy(), code: "WORKER_NAME_INVALID" },
  { id: "runtime-static-escape", what: "a static directory ../../../etc", files: { "runtime.json": { workers: { static: "../../../etc" } } }, command: deploy(), code: "RUNTIME_JSON_STATIC_NOT_A_PATH" },
  { id: "runtime-env-nul", what: "an env value with NUL", files: { "runtime.json": { workers: { web: "sleep 1" }, env: { MSG: "a\u0000b" } } }, command: deploy(), code: "UWSGI_ENV_VALUE_INVALID" },
  { id: "runtime-env-bad-name", what: "an env name with ;", files: { "runtime.json": { workers: { web: "sleep 1" }, env: { "A;B": "x" } } }, command: deploy(), code: "RUNTIME_JSON_INVALID" },
  // The app directory
  { id: "dir-missing", what: "deploy of a directory that does not exist", command: (c) => ["deploy", join(c.dir, "nope"), "--app", c.app], code: "APP_DIR_NOT_FOUND" },
  {
    id: "dir-weird-path",
    what: "an app directory whose path holds ; { } $ ` quotes and a newline",
    prepare: (c) => {
      const weird = join(cases, "we;ird {dir} $(x) `y` 'q' \"dq\"\nline");
      renameSync(c.dir, weird);
      return weird;
    },
    command: deploy("--env", "MSG=ok"),
    code: 0,
    check: (c) => shownMsg(c.app, "ok"),
  },
  {
    id: "static-link-escape",
    what: "a Local static app whose public/ is a link to /",
    files: { "hop3.nix": undefined, "runtime.json": undefined, Procfile: "static: public\n" },
    prepare: (c) => {
      symlinkSync("/", join(c.dir, "public"));
    },
    command: deploy(),
    code: "LOCAL_STATIC_DIR_MISSING",
  },
  // hop3.toml [[volumes]]: Hop3 makes the volume's directory as root and links it into the release.
  { id: "volume-target-escape", what: "a volume whose target climbs out of the release", files: { "hop3.toml": volumeToml("../../outside/x") }, command: deploy(), code: "VOLUME_TARGET_INVALID" },
  { id: "volume-target-absolute", what: "a volume whose target is /etc", files: { "hop3.toml": volumeToml("/etc") }, command: deploy(), code: "VOLUME_TARGET_INVALID" },
  { id: "volume-nix", what: "a volume in a Nix app (its release is a read-only store path)", files: { "hop3.toml": volumeToml("data/store") }, command: deploy(), code: "VOLUMES_UNSUPPORTED" },
  {
    id: "volume-shipped-link-etc",
    what: "a Local app shipping data -> /etc, with a volume at data/store",
    files: localVolumeApp(),
    prepare: (c) => {
      symlinkSync("/etc", join(c.dir, "data"));
    },
    command: deploy(),
    code: "VOLUME_TARGET_UNSAFE",
    check: () => expect(existsSync("/etc/store")).toBe(false),
  },
  {
    id: "volume-built-link-outside",
    what: "a Local app whose build makes data a link out of the release, with a volume at data/store",
    files: localVolumeApp(`ln -s ${outside} data`),
    command: deploy(),
    code: "VOLUME_TARGET_UNSAFE",
  },
  {
    id: "volume-built-link-neighbour",
    what: "a Local app whose build makes data/store a link to the sentinel's directory",
    files: localVolumeApp(`mkdir data && ln -s ${join(home, "apps", "sentinel-web")} data/store`),
    command: deploy(),
    code: "VOLUME_TARGET_OCCUPIED",
  },
  // App names
  ...(
    [
      ["name-traversal", "../evil"],
      ["name-semicolon", "a;b"],
      ["name-brace", "a{b}"],
      ["name-space", "a b"],
      ["name-newline", "a\nb"],
    ] as const
  ).map(([id, name]): HostileCase => ({ id, what: `deploy --app ${JSON.stringify(name)}`, command: (c) => ["deploy", c.dir, "--app", name], code: "APP_NAME_INVALID" })),
  { id: "start-traversal", what: "start ../../outside/x", command: () => ["start", "../../outside/x"], code: "APP_NOT_FOUND" },
  { id: "destroy-traversal", what: "destroy .. --yes (HOP3_HOME itself)", command: () => ["destroy", "..", "--yes"], code: "APP_NOT_FOUND" },
  { id: "scale-traversal", what: "scale ../nginx web=2", command: () => ["scale", "../nginx", "web=2"], code: "APP_NOT_FOUND" },
  { id: "domains-traversal-app", what: "domains add ../uwsgi a.test", command: () => ["domains", "add", "../uwsgi", "a.test"], code: "APP_NOT_FOUND" },
  // Domains of a live app (the sentinel's record must not change)
  ...(
    [
      ["domain-semicolon", "evil.test;"],
      ["domain-brace", "evil.test { return 500; }"],
      ["domain-newline", "a.test\nserver_name b.test"],
      ["domain-traversal", "../x"],
      ["domain-uppercase", "Evil.Test"],
      ["domain-localhost", "sentinel-static.localhost"],
      ["domain-wildcard", "*.example.test"],
    ] as const
  ).map(
    ([id, host]): HostileCase => ({
      id,
      what: `domains add sentinel-web ${JSON.stringify(host)}`,
      command: () => ["domains", "add", "sentinel-web", "ok.example.test", host],
      code: "DOMAIN_INVALID",
      check: () => expect(sentinelDomains("sentinel-web")).toEqual([SENTINEL_DOMAIN]),
    }),
  ),
  {
    id: "domain-conflict",
    what: "a domain another app answers to",
    command: () => ["domains", "add", "sentinel-static", SENTINEL_DOMAIN],
    code: "DOMAIN_TAKEN",
    check: async () => {
      expect(sentinelDomains("sentinel-static")).toEqual([]);
      expect((await get(SENTINEL_DOMAIN)).body).toContain("hello from nix-web");
    },
  },
  {
    id: "domain-toml-taken",
    what: "hop3.toml [domains] naming another app's domain",
    files: { "hop3.toml": `[domains]\nlist = [${JSON.stringify(SENTINEL_DOMAIN)}]\n` },
    command: deploy(),
    code: "DOMAIN_TAKEN",
    check: async () => {
      expect(sentinelDomains("sentinel-web")).toEqual([SENTINEL_DOMAIN]);
      expect((await get(SENTINEL_DOMAIN)).body).toContain("hello from nix-web");
    },
  },
  {
    id: "domain-toml-injection",
    what: "hop3.toml [domains] with an nginx directive after a newline",
    files: { "hop3.toml": `[domains]\nlist = [${JSON.stringify("a.test;\n    server_name evil.test")}]\n` },
    command: deploy(),
    code: "DOMAIN_INVALID",
  },
  // Values: accepted, and received byte for byte
  { id: "env-newline", what: "deploy --env with a newline", command: deploy("--env", "MSG=line one\nline two"), code: 0, check: (c) => shownMsg(c.app, "line one\nline two") },
  { id: "env-shell", what: "deploy --env with shell, uWSGI and nginx metacharacters", command: deploy("--env", `MSG=${SHELL_VALUE}`), code: 0, check: (c) => shownMsg(c.app, SHELL_VALUE) },
  {
    id: "env-toml",
    what: "hop3.toml [env] with a newline, $HOME, backquotes and quotes",
    files: { "hop3.toml": `[env]\nMSG = ${JSON.stringify("a\nb $HOME ${X} `id` 'q' \"dq\" %d")}\n` },
    command: deploy(),
    code: 0,
    check: (c) => shownMsg(c.app, "a\nb $HOME ${X} `id` 'q' \"dq\" %d"),
  },
  // [env] references to what is not the app's own: refused before anything is built (no release, no build of the app).
  ...(
    [
      ["env-ref-other-app", "another app's addon", 'PW = { from = "sentinel-web/db", key = "PGPASSWORD" }'],
      ["env-ref-undeclared", "an addon the app does not declare", 'PW = { from = "sentinel-web", key = "SECRET_KEY" }'],
      ["env-ref-traversal", "an addon named ../../sentinel-web/db", 'PW = { from = "../../sentinel-web/db", key = "PGPASSWORD" }'],
    ] as const
  ).map(
    ([id, what, reference]): HostileCase => ({
      id,
      what: `an [env] reference to ${what}`,
      files: { "hop3.toml": `[[addons]]\ntype = "postgres"\nname = "db"\n\n[env]\n${reference}\n` },
      command: deploy(),
      code: "ENV_ADDON_UNDECLARED",
      check: (c) => expect(existsSync(join(home, "apps", c.app)), "nothing of the app is built or recorded").toBe(false),
    }),
  ),
  { id: "env-bad-key", what: "deploy --env with a space in the key", command: deploy("--env", "BAD KEY=1"), code: "CONFIG_KEY_INVALID" },
  { id: "config-bad-key", what: "config set of a key with a newline, on the sentinel", command: () => ["config", "set", "sentinel-web", "A\nB=1"], code: "CONFIG_KEY_INVALID" },
  // Workers that do not run
  { id: "web-exits-at-once", what: "a web worker that exits at once", files: { "runtime.json": { workers: { web: "exit 3" } }, "hop3.toml": "[run]\nstart-timeout = 5\n" }, command: deploy(), code: "UWSGI_WORKER_CRASHED" },
  {
    id: "worker-exits-at-once",
    what: "a background worker that exits at once, beside a good web worker",
    files: { "runtime.json": { workers: { web: showMsgWorker("w"), worker: "exit 1" } }, "hop3.toml": "[run]\nstart-timeout = 5\n" },
    command: deploy(),
    code: "UWSGI_WORKER_CRASHED",
  },
  { id: "web-never-listens", what: "a web worker that never listens", files: { "runtime.json": { workers: { web: "exec sleep 1000" } }, "hop3.toml": "[run]\nstart-timeout = 2\n" }, command: deploy(), code: "UWSGI_WORKER_START_TIMEOUT" },
  {
    id: "port-taken",
    what: "a web worker binding the sentinel's port",
    files: { "runtime.json": { workers: { web: "exec /usr/bin/python3 -m http.server $SENTINEL_PORT --bind 127.0.0.1" } }, "hop3.toml": "[run]\nstart-timeout = 3\n" },
    command: (c) => ["deploy", c.dir, "--app", c.app, "--env", `SENTINEL_PORT=${sentinelWebPort()}`],
    code: "UWSGI_WORKER_CRASHED",
  },
  { id: "store-path-climbs-out", what: "--store-path that climbs out of the store with ..", command: (c) => ["deploy", "--store-path", "/nix/store/00000000000000000000000000000000-x/../../../etc", "--app", c.app], code: "NIX_STORE_PATH_INVALID" },
  {
    id: "store-path-runtime-link",
    what: "a prebuilt store path (nix-store --add) whose hop3/runtime.json links to /etc/shadow",
    prepare: (c) => prebuiltStorePath(`${c.dir}-package`, (dir) => symlinkSync("/etc/shadow", join(dir, "hop3", "runtime.json"))),
    command: (c) => ["deploy", "--store-path", c.dir, "--app", c.app],
    code: "NIX_RUNTIME_JSON_OUTSIDE_PACKAGE",
  },
];

/** A directory made by `make` (with its hop3/), added to the Nix store as a prebuilt package would be; its store path. */
function prebuiltStorePath(dir: string, make: (dir: string) => void): string {
  mkdirSync(join(dir, "hop3"), { recursive: true });
  make(dir);
  return execFileSync("nix-store", ["--add", dir], { encoding: "utf8" }).trim();
}

beforeAll(async () => {
  mkdirSync(cases);
  mkdirSync(outside);
  port = await freePort();
  env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port), NIX_CONFIG: "substituters =\n" };
  for (const [fixture, app] of [["nix-web", "sentinel-web"], ["nix-static", "sentinel-static"]] as const) {
    const result = await run(["deploy", join(fixtures, fixture), "--app", app]);
    expect(result.code, result.stderr).toBe(0);
  }
});

afterAll(async () => {
  await run(["server", "stop"]);
  expect(processesUnder(home)).toEqual([]);
  rmSync(root, { recursive: true, force: true });
});

/** Both sentinels answer, from the same processes as before. */
async function expectSentinelsServing(webPid: number): Promise<void> {
  expect((await get("sentinel-web.localhost")).body).toContain("hello from nix-web");
  expect((await get(SENTINEL_DOMAIN)).body).toContain("hello from nix-web");
  expect((await get("sentinel-static.localhost")).body).toContain("hello from nix-static");
  expect(await readPid()).toBe(webPid);
}
/** The web worker's pid, as the deployer reports it (where it keeps its pid files is its own business). */
const readPid = async (): Promise<number> => {
  const status = await run(["status", "sentinel-web", "--json"]);
  const pid = status.json<{ workers: Array<{ worker: string; pid?: number }> }>().workers.find((w) => w.worker === "web")?.pid;
  expect(pid, status.stdout).toBeGreaterThan(0);
  return pid!;
};

describe.sequential("hostile input, end to end", () => {
  it("gives a live app a domain, routed at once, and lists it", async () => {
    const added = await run(["domains", "add", "sentinel-web", SENTINEL_DOMAIN, "--json"]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.json()).toEqual({ app: "sentinel-web", domains: [SENTINEL_DOMAIN], routed: true });
    expect((await get(SENTINEL_DOMAIN)).body).toContain("hello from nix-web");
    expect((await run(["domains", "sentinel-web", "--json"])).json()).toEqual({ app: "sentinel-web", domains: [SENTINEL_DOMAIN] });
    // Removed and added again: each change reaches nginx, no process restarts.
    const pid = await readPid();
    expect((await run(["domains", "remove", "sentinel-web", SENTINEL_DOMAIN])).code).toBe(0);
    expect((await get(SENTINEL_DOMAIN)).status).toBe(404);
    expect((await run(["domains", "add", "sentinel-web", SENTINEL_DOMAIN])).code).toBe(0);
    expect((await get(SENTINEL_DOMAIN)).status).toBe(200);
    expect(await readPid()).toBe(pid);
  });

  it("has at least 30 cases", () => expect(table.length).toBeGreaterThanOrEqual(30));

  it.each(table.map((row) => [row.id, row] as const))("%s", async (id, row) => {
    const c: CaseContext = { app: `h-${id}`.slice(0, 63).replace(/-+$/, ""), dir: "" };
    Object.assign(c, { dir: writeCaseApp(cases, c.app, row.files ?? {}) });
    Object.assign(c, { dir: row.prepare?.(c) ?? c.dir });
    const webPid = await readPid();
    // The case app's own state: its directory, and the socket directory uWSGI gives it (kept as long as the app is).
    const own = [`apps/${c.app}`, `uwsgi/sockets/${c.app}`];
    const before = snapshotTree(home, own);
    const result = await run([...row.command(c), "--json"]);

    expect(result.stderr, "no stack trace").not.toMatch(/internal error|\n\s+at .*\.(ts|js|mjs):\d+:\d+/);
    if (row.code === 0) {
      expect(result.code, result.stderr).toBe(0);
    } else {
      expect(result.code, result.stdout + result.stderr).toBe(1);
      const error = result.json<{ error: { code: string; message: string; hint: string } }>().error;
      expect(error.code, error.message).toBe(row.code);
      expect(error.hint).not.toBe("");
      expect(result.stderr).toContain(`error[${row.code}]: `);
    }
    await row.check?.(c, result);

    // An accepted deploy is destroyed first; a refused command must have written nothing outside the
    // case app's own state (no site, vassal or socket of it left), and nothing of it may still run.
    if (row.code === 0) expect((await run(["destroy", c.app, "--yes"])).code).toBe(0);
    expect(snapshotTree(home, own)).toEqual(before);
    if (row.code !== 0 && existsSync(join(home, "apps", c.app))) {
      expect(processesUnder(join(home, "apps", c.app))).toEqual([]);
      expect((await run(["destroy", c.app, "--yes"])).code).toBe(0);
    }
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(root).sort()).toEqual(["cases", "home", "outside"]);
    await expectSentinelsServing(webPid);
  });

  it("refuses a deploy on a full disk with a coded error, leaving nothing", async () => {
    const full = join(root, "full");
    mkdirSync(full);
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", full]);
    } catch (error) {
      throw new Error(`mount -t tmpfs is not permitted here (${(error as Error).message.split("\n")[0]}): this case needs root with CAP_SYS_ADMIN`);
    }
    try {
      try {
        execFileSync("dd", ["if=/dev/zero", `of=${join(full, "fill")}`, "bs=4k"], { stdio: "ignore" });
      } catch {
        // dd stops with ENOSPC: the disk is full, as wanted
      }
      const webPid = await readPid();
      const before = snapshotTree(home, []);
      const dir = writeCaseApp(cases, "on-full-disk", {});
      const result = await run(["deploy", dir, "--json"], { HOP3_HOME: join(full, "home") });
      expect(result.code, result.stdout + result.stderr).toBe(1);
      expect(result.json<{ error: { code: string } }>().error.code).toBe("STATE_WRITE_FAILED");
      expect(result.stderr).not.toMatch(/internal error/);
      expect(result.json<{ error: { details: { errno: string } } }>().error.details.errno).toBe("ENOSPC");
      // Empty directories at most: no lock, record or release of the refused deploy.
      expect(Object.entries(snapshotTree(join(full, "home"), [])).filter(([, kind]) => kind !== "dir")).toEqual([]);
      expect(existsSync(join(full, "home", "apps", "on-full-disk"))).toBe(false);
      expect(snapshotTree(home, [])).toEqual(before);
      await expectSentinelsServing(webPid);
    } finally {
      execFileSync("umount", [full]);
      rmSync(full, { recursive: true, force: true });
    }
  });
});
