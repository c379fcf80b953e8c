import { statSync } from "node:fs";
import { Hop3Error, LIMIT_NAMES, limitsText, runCommand, runsAsRoot } from "@hop3/core/cli";
import type { CliIO, CommandOutcome } from "@hop3/cli-kit";
import { NATIVE_WORKERS, pluginsOf, SETUP_ID, UWSGI_PLUGIN_DIR, UWSGI_PLUGINS } from "@hop3/deployer-uwsgi";
import { certificatesHealth, WARN_BEFORE_DAYS, type CertificatesHealth } from "@hop3/tls";
import {
  bootReport,
  bootUnitName,
  detectNixMode,
  isolationReport,
  legacyHomeReport,
  limitsReport,
  MOVING_HOME_PAGE,
  nixDaemonAnswers,
  readConfig,
  uwsgiPluginsReport,
  type BootReport,
  type IsolationReport,
  type LimitsReport,
  type UwsgiPluginsReport,
} from "@hop3/server-setup";

interface Check {
  readonly name: string;
  readonly file: string;
  readonly args: readonly string[];
  /** Picks the version out of the program's output. */
  readonly version: (output: string) => string | undefined;
  readonly neededFor: string;
  readonly install: string;
}

const firstMatch = (pattern: RegExp) => (output: string) => pattern.exec(output)?.[1];

const CHECKS: readonly Check[] = [
  { name: "nix-build", file: "nix-build", args: ["--version"], version: firstMatch(/(\d+\.\d+[\w.]*)/), neededFor: "apps with a hop3.nix", install: "apt-get install nix-bin (Debian/Ubuntu), or the installer at https://nixos.org/download" },
  { name: "uwsgi", file: "uwsgi", args: ["--version"], version: firstMatch(/^(\S+)/), neededFor: "apps with processes (web and other workers)", install: "apt-get install uwsgi-core" },
  { name: "nginx", file: "nginx", args: ["-v"], version: firstMatch(/nginx\/(\S+)/), neededFor: "every app (routing and static files)", install: "apt-get install nginx" },
  { name: "docker", file: "docker", args: ["version", "--format", "{{.Server.Version}}"], version: firstMatch(/^(\S+)/), neededFor: "apps with a Dockerfile", install: "apt-get install docker.io, then start the engine (systemctl start docker)" },
];

type Env = Readonly<Record<string, string | undefined>>;

async function programChecks(env: Env) {
  return Promise.all(
    CHECKS.map(async (check) => {
      try {
        const result = await runCommand(check.file, check.args, { timeoutMs: 5_000, allowFailure: true, env, extendEnv: false });
        const output = `${result.stdout}\n${result.stderr}`.trim();
        const ok = result.exitCode === 0;
        return { name: check.name, ok, version: ok ? check.version(output) ?? output.split("\n")[0] : undefined, problem: ok ? undefined : output.split("\n").at(-1), neededFor: check.neededFor, install: check.install };
      } catch (error) {
        const problem = Hop3Error.is(error) && error.code === "COMMAND_NOT_FOUND" ? "not installed" : (error as Error).message;
        return { name: check.name, ok: false, version: undefined, problem, neededFor: check.neededFor, install: check.install };
      }
    }),
  );
}

/** What `hop3 doctor` finds on this machine: its data, its lines, and 1 when nginx, uWSGI, the config or the isolation fail. */
export async function doctorReport(io: CliIO): Promise<CommandOutcome> {
  const env = io.env;
  const root = runsAsRoot();
  const [results, daemonAnswers] = await Promise.all([programChecks(env), nixDaemonAnswers()]);
  const node = { name: "node", ok: true, version: process.versions.node, neededFor: "hop3 itself" };
  const text = [`ok   node ${node.version}`];
  for (const r of results) {
    text.push(r.ok ? `ok   ${r.name} ${r.version ?? ""}`.trimEnd() : `miss ${r.name}: ${r.problem}; needed for ${r.neededFor}. Install: ${r.install}`);
  }
  const uwsgiPlugins = uwsgiPluginsData(uwsgiPluginsReport(UWSGI_PLUGIN_DIR));
  text.push(...uwsgiPluginsText(uwsgiPlugins));
  // Which Nix mode is in place: as root each app builds as its own user, through a daemon.
  const nix = detectNixMode(env, { root, daemonAnswers });
  if (results.some((r) => r.name === "nix-build" && r.ok)) {
    text.push(`${nix.usable ? "ok  " : "warn"} nix mode: ${nix.mode}, ${nix.detail}`);
  }

  const isolation = isolationReport(env, root);
  text.push(...isolationText(isolation));
  const { report: config, config: hop3Config } = readConfig(env);
  text.push(config.problem ? `fail config: ${config.problem.message} (${config.problem.hint})` : `ok   config: ${config.file ?? `no file (defaults; looked for ${config.path ?? "none: no HOME"})`}`);
  // Remote builders, cache and keys: checked only when configured, with the Nix builder's own check.
  const nixDistributed = hop3Config && Object.keys(hop3Config.nix).length > 0 ? await nixDistributedChecks(env) : null;
  if (nixDistributed) text.push(...nixDistributed.map((check) => `${check.ok ? "ok  " : "fail"} nix ${check.name}: ${check.detail}`));
  // The registry the swarm's nodes pull from: checked only where Docker apps run on Swarm.
  const swarmRegistry = env.HOP3_CONTAINER_DEPLOYER === "swarm" ? await swarmRegistryCheck(isolation.home, env) : null;
  if (swarmRegistry) text.push(`${swarmRegistry.ok ? "ok  " : "fail"} swarm registry: ${swarmRegistry.detail}`);
  const limits = hop3Config ? limitsReport(hop3Config) : null;
  if (limits) text.push(...limitsLines(limits));
  const legacyHome = legacyHomeReport(env);
  if (legacyHome) {
    text.push(
      `warn old home: ${legacyHome.path} holds ${legacyHome.apps.length} app(s) (${legacyHome.apps.join(", ")}) from before root's HOP3_HOME became ${legacyHome.to}; this Hop3 does not see them. To move them: ${legacyHome.steps.join("; ")} (${MOVING_HOME_PAGE}).`,
    );
  }
  let unit: string | undefined;
  try {
    unit = bootUnitName(isolation.home, env);
  } catch {
    unit = undefined; // a bad HOP3_USER_PREFIX, reported with the isolation
  }
  const boot = await bootReport(unit, isDirectory("/run/systemd/system"), unitState(env));
  text.push(bootText(boot));
  const certificates = certificatesHealth(isolation.home);
  text.push(...certificatesText(certificates));

  // nginx and uWSGI serve every app, and a config file that cannot be read stops every command.
  const required = results.filter((r) => (r.name === "nginx" || r.name === "uwsgi") && !r.ok);
  const failed = required.length > 0 || config.problem !== undefined || isolation.problem !== undefined || nixDistributed?.some((check) => !check.ok) === true || swarmRegistry?.ok === false;
  return { data: { checks: [node, ...results], uwsgiPlugins, nix, nixDistributed, swarmRegistry, isolation, config, limits, legacyHome, boot, certificates }, text, exitCode: failed ? 1 : 0 };
}

/** The plugins installed, and for each worker uWSGI loads itself (wsgi, rwsgi, jwsgi) whether it can run here. */
function uwsgiPluginsData(report: UwsgiPluginsReport) {
  const workers = Object.fromEntries(
    NATIVE_WORKERS.map((worker) => {
      const missing = pluginsOf(worker).filter((plugin) => !report.installed.includes(plugin));
      return [worker, { ok: missing.length === 0, plugins: pluginsOf(worker), missing, packages: [...new Set(pluginsOf(worker).map((plugin) => UWSGI_PLUGINS[plugin].debianPackage))], setup: SETUP_ID[worker] }];
    }),
  );
  return { ...report, workers };
}

function uwsgiPluginsText(plugins: ReturnType<typeof uwsgiPluginsData>): string[] {
  const lines = [plugins.installed.length > 0 ? `ok   uwsgi plugins (${plugins.dir}): ${plugins.installed.join(", ")}` : `warn uwsgi plugins: none in ${plugins.dir}`];
  for (const [worker, w] of Object.entries(plugins.workers)) {
    lines.push(w.ok ? `ok   ${worker} workers: uWSGI's ${w.plugins.join(" and ")} plugin${w.plugins.length > 1 ? "s" : ""}` : `warn ${worker} workers: no ${w.missing.join(" or ")} plugin. Install: apt-get install ${w.packages.join(" ")} (hop3 setup --with ${w.setup})`);
  }
  return lines;
}

function isolationText(isolation: IsolationReport): string[] {
  if (isolation.problem) return [`fail isolation: ${isolation.problem.message} (${isolation.problem.hint})`];
  if (isolation.mode === "user-per-app") {
    return [`ok   isolation: a user per app (${isolation.appUsers}), nginx's workers as ${isolation.webUser}; HOP3_HOME ${isolation.home}`];
  }
  return [
    `warn isolation: single-user: not root, so every app runs as ${isolation.user}, like Hop3 itself. Not protected: ${isolation.notProtected.join("; ")}. Run Hop3 as root (sudo) for a user per app.`,
  ];
}

function limitsLines(limits: LimitsReport): string[] {
  const enforced = Object.entries(limits.enforcement).map(([key, how]) => `${LIMIT_NAMES[key as keyof typeof LIMIT_NAMES]} ${how.by === null ? "not enforced" : `by ${how.by}`}`);
  const mark = limits.warnings.length > 0 ? "warn" : "ok  ";
  return [`${mark} limits: ${enforced.join(", ")}; defaults: ${limitsText(limits.defaults)}; maximum: ${limitsText(limits.maximum)}`, ...limits.warnings.map((warning) => `warn limits: ${warning}`)];
}

/** A warning per certificate that expires within 14 days: renewal (30 days ahead) has been failing. */
function certificatesText(health: CertificatesHealth): string[] {
  if (health.expiring.length === 0) return health.installed === 0 ? [] : [`ok   certificates: ${health.installed}, none expires within ${WARN_BEFORE_DAYS} days`];
  return health.expiring.map(
    (c) => `warn certificate: ${c.host} ${c.daysLeft < 0 ? "expired" : `expires in ${c.daysLeft} day(s)`} (${c.notAfter})${c.lastError ? `; renewing it failed: ${c.lastError}` : ""}. See \`hop3 certs\`, then \`hop3 certs renew --force\`.`,
  );
}

function bootText(boot: BootReport): string {
  if (!boot.systemd) return "warn boot: no systemd here: nothing starts Hop3 at boot unless your init system runs `hop3 server start` (hop3 setup prints the line)";
  if (boot.enabled) return `ok   boot: ${boot.unit} is enabled${boot.active ? " and active" : " (not active now: systemctl start " + boot.unit + ")"}`;
  return `warn boot: ${boot.unit ?? "no unit"} is not enabled: nothing starts Hop3 at boot (sudo hop3 setup --yes installs and enables it)`;
}

function unitState(env: Env) {
  return async (unit: string) => {
    const ask = async (verb: string) => {
      try {
        return (await runCommand("systemctl", [verb, "--quiet", unit], { timeoutMs: 5_000, allowFailure: true, env, extendEnv: false })).exitCode === 0;
      } catch {
        return false;
      }
    };
    return { enabled: await ask("is-enabled"), active: await ask("is-active") };
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The Nix builder's checks of its distributed settings; an invalid section is one failed check. */
async function nixDistributedChecks(env: Readonly<Record<string, string | undefined>>): Promise<Array<{ name: string; ok: boolean; detail: string }>> {
  const { checkNixDistributed } = await import("@hop3/builder-nix");
  try {
    return checkNixDistributed(env);
  } catch (error) {
    return [{ name: "config", ok: false, detail: (error as Error).message }];
  }
}

/** The Swarm deployer's check of its registry (Hop3's own, or HOP3_SWARM_REGISTRY's). */
async function swarmRegistryCheck(home: string, env: Readonly<Record<string, string | undefined>>): Promise<{ ok: boolean; detail: string }> {
  const { checkSwarmRegistry, registryFromEnv } = await import("@hop3/deployer-swarm");
  return checkSwarmRegistry(home, registryFromEnv(env), env);
}
