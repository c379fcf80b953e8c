import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { defineCliCommand, findProgram, hop3ConfigFile, type CliCommand } from "@hop3/core";
import { INSTALL_NIX_HINT, nixError } from "../errors.js";
import {
  defaultSigningKeyFile,
  isBuilderUri,
  isCacheUrl,
  isPublicKey,
  MachineSchema,
  ownPublicKey,
  publicKeyFile,
  readNixConfig,
  trustedKeys,
  updateNixConfig,
  type NixBuilderMachine,
  type NixDistributedConfig,
} from "./config.js";
import { sshSettings } from "./realise.js";

type Env = Readonly<Record<string, string | undefined>>;

/** One line of `hop3 nix check` (and of `hop3 doctor`). */
export interface NixCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const NIX_COMMAND = ["--extra-experimental-features", "nix-command"];

/**
 * Checks the distributed settings for real: each builder answers over SSH (`nix store ping`
 * speaks the same protocol a build does), the signing key is there and root-only, its public key
 * and the trusted ones are well formed, the cache answers.
 */
export function checkNixDistributed(env: Env, config: NixDistributedConfig = readNixConfig(env)): NixCheck[] {
  const checks: NixCheck[] = [];
  const nix = findProgram("nix", env);
  const ssh = sshSettings(config.builders.machines);
  try {
    for (const machine of config.builders.machines) {
      if (nix === undefined) {
        checks.push({ name: `builder ${machine.uri}`, ok: false, detail: "nix is not installed here" });
        continue;
      }
      const ping = run(nix, [...NIX_COMMAND, "store", "ping", "--store", storeUri(machine)], { ...env, ...ssh.env });
      checks.push({
        name: `builder ${machine.uri}`,
        ok: ping.ok,
        detail: ping.ok ? `answers (Nix store protocol over SSH); ${machine.maxJobs} job(s), ${machine.systems.join(", ") || "this system"}` : `does not answer: ${ping.said}`,
      });
    }
  } finally {
    ssh.cleanup();
  }
  if (config.builders.machines.length > 0) checks.push({ name: "builders fallback", ok: true, detail: config.builders.fallback === "local" ? "build here when no builder answers" : "fail when no builder answers" });
  if (config.signingKey !== undefined) checks.push(keyCheck(config.signingKey, ownPublicKey(config)));
  if (config.cache !== undefined) {
    const reachable = config.cache.startsWith("file://")
      ? existsSync(new URL(`${config.cache.replace(/\?.*$/, "")}/nix-cache-info`))
        ? { ok: true, said: "" }
        : { ok: false, said: "no nix-cache-info there (`hop3 nix cache set` makes one)" }
      : nix === undefined
        ? { ok: false, said: "nix is not installed here" }
        : run(nix, [...NIX_COMMAND, "store", "ping", "--store", config.cache], { ...env, ...sshSettings([]).env });
    checks.push({
      name: `cache ${config.cache}`,
      ok: reachable.ok,
      detail: reachable.ok ? `reachable; ${config.signingKey ? "built closures are signed and pushed to it" : "substituted from only (no signing key here)"}` : `unreachable: ${reachable.said}`,
    });
  }
  const keys = trustedKeys(config);
  if (config.cache !== undefined) {
    checks.push({ name: "trusted keys", ok: keys.length > 0, detail: keys.length > 0 ? keys.map((key) => key.split(":")[0]).join(", ") : "none: nothing from the cache can be substituted (`hop3 nix trust KEY` or `hop3 nix key generate`)" });
  }
  return checks;
}

function keyCheck(file: string, publicKey: string | undefined): NixCheck {
  try {
    const stat = statSync(file);
    if ((stat.mode & 0o077) !== 0) return { name: "signing key", ok: false, detail: `${file} may be read by others than its owner: chmod 600 it` };
    if (publicKey === undefined) return { name: "signing key", ok: false, detail: `${publicKeyFile(file)} is missing or not a Nix public key` };
    return { name: "signing key", ok: true, detail: `${file}, public key ${publicKey} (trusted here)` };
  } catch {
    return { name: "signing key", ok: false, detail: `${file} does not exist: \`hop3 nix key generate\`` };
  }
}

/** The builder as a store URI for `nix store ping`: its key and host key as store parameters. */
function storeUri(machine: NixBuilderMachine): string {
  const params = [
    ...(machine.sshKey !== undefined ? [`ssh-key=${machine.sshKey}`] : []),
    ...(machine.hostKey !== undefined ? [`base64-ssh-public-host-key=${Buffer.from(machine.hostKey).toString("base64")}`] : []),
  ];
  return params.length > 0 ? `${machine.uri}?${params.join("&")}` : machine.uri;
}

function run(program: string, args: readonly string[], env: Env): { ok: boolean; said: string } {
  const result = spawnSync(program, args, { env: env as NodeJS.ProcessEnv, encoding: "utf8", timeout: 20_000 });
  const said = `${result.stderr ?? ""}${result.error ? result.error.message : ""}`.trim().split("\n").filter(Boolean).slice(-2).join(" ");
  return { ok: result.status === 0, said: said || `exit ${result.status}` };
}

const describe = (config: NixDistributedConfig, file: string): string[] => [
  `Hop3's config: ${file}`,
  `builders: ${config.builders.machines.length === 0 ? "none (builds run here)" : config.builders.machines.map((m) => `${m.uri}${m.port ? ` port ${m.port}` : ""}`).join(", ")}${config.builders.machines.length > 0 ? `; fallback ${config.builders.fallback}` : ""}`,
  `cache: ${config.cache ?? "none"}`,
  `signing key: ${config.signingKey ?? "none"}${ownPublicKey(config) ? ` (${ownPublicKey(config)})` : ""}`,
  `trusted keys: ${config.trustedKeys.length === 0 ? "none besides the own key" : config.trustedKeys.join(", ")}`,
];

const saved = (env: Env, change: (config: NixDistributedConfig) => NixDistributedConfig, said: string) => {
  const { file, config } = updateNixConfig(env, change);
  return { data: config, text: [said, ...describe(config, file)] };
};

const word = (args: { positionals: readonly string[] }, index = 0): string => args.positionals[index] ?? "";

/** Checks a cache URL and, for a `file://` one, makes the cache there (nix writes nix-cache-info). */
function prepareCache(env: Env, url: string): void {
  if (!isCacheUrl(url)) throw nixError("NIX_CONFIG_INVALID", `"${url}" is not a binary cache URL Hop3 takes.`, { details: { key: "nix.cache", value: url } });
  // One elsewhere must already exist.
  if (!url.startsWith("file://")) return;
  const nix = findProgram("nix", env);
  if (nix === undefined) throw nixError("NIX_NOT_INSTALLED", "nix is not installed here.", { hint: INSTALL_NIX_HINT, details: { program: "nix" } });
  const made = run(nix, [...NIX_COMMAND, "store", "ping", "--store", url], env);
  if (!made.ok) throw nixError("NIX_CACHE_UNREACHABLE", `Could not make the binary cache ${url}: ${made.said}`, { details: { cache: url } });
}

/** Makes the signing key (root-only) unless there is one and `force` is not given. */
function makeSigningKey(env: Env, options: { name?: string; force?: boolean }): { file: string; made: boolean } {
  const current = readNixConfig(env);
  const file = current.signingKey ?? defaultSigningKeyFile(env);
  if (existsSync(file) && options.force !== true) return { file, made: false };
  const name = options.name ?? `${hostname().replace(/[^A-Za-z0-9.-]/g, "-")}-1`;
  if (!/^[A-Za-z0-9.-]+$/.test(name)) throw nixError("NIX_CONFIG_INVALID", `"${name}" is not a key name: letters, digits, dots and dashes.`, { details: { key: "nix.signingKey", value: name } });
  const nixStore = findProgram("nix-store", env);
  if (nixStore === undefined) throw nixError("NIX_NOT_INSTALLED", "nix-store is not installed here.", { hint: INSTALL_NIX_HINT, details: { program: "nix-store" } });
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const made = run(nixStore, ["--generate-binary-cache-key", name, file, publicKeyFile(file)], env);
  if (!made.ok) throw nixError("NIX_SIGNING_FAILED", `nix-store could not make a key at ${file}: ${made.said}`, { details: { keyFile: file } });
  chmodSync(file, 0o600);
  chmodSync(publicKeyFile(file), 0o644);
  return { file, made: true };
}

/** What `hop3 setup --nix-...` asks for. */
export interface NixSetupRequest {
  readonly cache?: string;
  readonly builders?: readonly string[];
  readonly trust?: readonly string[];
  readonly signingKey?: boolean;
}

/**
 * `hop3 setup`'s Nix flags: the same changes as `hop3 nix cache set`, `builders add` (defaults: port
 * 22, root's key and known_hosts), `trust` and `key generate`, in one write. Returns what it did.
 */
export function configureNixDistributed(env: Env, request: NixSetupRequest): string[] {
  const done: string[] = [];
  if (request.cache !== undefined) prepareCache(env, request.cache);
  for (const uri of request.builders ?? []) {
    if (!isBuilderUri(uri)) throw nixError("NIX_CONFIG_INVALID", `"${uri}" is not a builder URI: write ssh://user@host or ssh-ng://user@host.`, { details: { key: "nix.builders.machines", value: uri } });
  }
  for (const key of request.trust ?? []) {
    if (!isPublicKey(key)) throw nixError("NIX_CONFIG_INVALID", `"${key}" is not a Nix public key (NAME:BASE64 of 32 bytes).`, { details: { key: "nix.trustedKeys", value: key } });
  }
  const key = request.signingKey === true ? makeSigningKey(env, {}) : undefined;
  if (key) done.push(key.made ? `made the signing key ${key.file}` : `kept the signing key ${key.file}`);
  const { config } = updateNixConfig(env, (current) => ({
    ...current,
    ...(request.cache !== undefined && { cache: request.cache }),
    ...(key && { signingKey: key.file }),
    builders: {
      ...current.builders,
      machines: [...current.builders.machines.filter((m) => !(request.builders ?? []).includes(m.uri)), ...(request.builders ?? []).map((uri) => MachineSchema.parse({ uri }))],
    },
    trustedKeys: [...new Set([...current.trustedKeys, ...(request.trust ?? [])])],
  }));
  if (request.cache !== undefined) done.push(`binary cache ${request.cache}`);
  for (const uri of request.builders ?? []) done.push(`builder ${uri}`);
  for (const trusted of request.trust ?? []) done.push(`trusting ${trusted.split(":")[0]}`);
  const own = ownPublicKey(config);
  if (key && own) done.push(`public key, for other servers' \`hop3 nix trust\`: ${own}`);
  return done;
}

/** `hop3 nix ...`: the distributed settings (builders, cache, key, trusted keys) and their check. */
export function createDistributedCommands(): CliCommand[] {
  return [
    defineCliCommand({
      name: ["nix", "config"],
      summary: "Show the Nix builders, binary cache and keys Hop3 builds with",
      async run({ io }) {
        const config = readNixConfig(io.env);
        return { data: config, text: describe(config, hop3ConfigFile(io.env) ?? "(none: no HOME)") };
      },
    }),
    defineCliCommand({
      name: ["nix", "cache", "set"],
      summary: "Use a binary cache: substitute from it, push signed builds to it",
      positionals: [{ name: "URL", description: "file:///DIR, ssh://user@host, ssh-ng://user@host or https://host/path" }],
      async run({ args, io }) {
        const url = word(args);
        prepareCache(io.env, url);
        return saved(io.env, (config) => ({ ...config, cache: url }), `Binary cache set to ${url}.`);
      },
    }),
    defineCliCommand({
      name: ["nix", "cache", "unset"],
      summary: "Stop using a binary cache",
      async run({ io }) {
        return saved(io.env, ({ cache: _cache, ...config }) => config, "Binary cache removed.");
      },
    }),
    defineCliCommand({
      name: ["nix", "builders", "add"],
      summary: "Build on a remote machine over SSH (Nix's remote builders)",
      positionals: [{ name: "URI", description: "ssh://user@host (nix-store --serve) or ssh-ng://user@host (nix-daemon --stdio)" }],
      options: {
        port: { type: "string", valueName: "PORT", description: "its SSH port, when not 22" },
        system: { type: "string", multiple: true, valueName: "SYSTEM", description: "a system it builds for (x86_64-linux...); repeat for more" },
        "max-jobs": { type: "string", valueName: "N", description: "builds it runs at once (default 1)" },
        "ssh-key": { type: "string", valueName: "FILE", description: "the private key to log in with (default: root's)" },
        "host-key": { type: "string", valueName: "LINE", description: 'its SSH host key, "ssh-ed25519 AAAA..." (default: root\'s known_hosts)' },
      },
      async run({ args, io }) {
        const uri = word(args);
        if (!isBuilderUri(uri)) throw nixError("NIX_CONFIG_INVALID", `"${uri}" is not a builder URI: write ssh://user@host or ssh-ng://user@host (the port with --port).`, { details: { key: "nix.builders.machines", value: uri } });
        const number = (name: string) => (typeof args.values[name] === "string" ? Number(args.values[name]) : undefined);
        const parsed = MachineSchema.safeParse({
          uri,
          ...(number("port") !== undefined && { port: number("port") }),
          ...(Array.isArray(args.values.system) && { systems: args.values.system }),
          ...(number("max-jobs") !== undefined && { maxJobs: number("max-jobs") }),
          ...(typeof args.values["ssh-key"] === "string" && { sshKey: args.values["ssh-key"] }),
          ...(typeof args.values["host-key"] === "string" && { hostKey: args.values["host-key"].trim().split(/\s+/).slice(0, 2).join(" ") }),
        });
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          throw nixError("NIX_CONFIG_INVALID", `The builder's ${issue.path.join(".")} ${issue.message}.`, { details: { key: `nix.builders.machines.${issue.path.join(".")}` } });
        }
        const machine = parsed.data;
        return saved(io.env, (config) => ({ ...config, builders: { ...config.builders, machines: [...config.builders.machines.filter((m) => m.uri !== uri), machine] } }), `Builder ${uri} added.`);
      },
    }),
    defineCliCommand({
      name: ["nix", "builders", "remove"],
      summary: "Stop building on a remote machine",
      positionals: [{ name: "URI" }],
      async run({ args, io }) {
        const uri = word(args);
        return saved(io.env, (config) => ({ ...config, builders: { ...config.builders, machines: config.builders.machines.filter((m) => m.uri !== uri) } }), `Builder ${uri} removed.`);
      },
    }),
    defineCliCommand({
      name: ["nix", "builders", "fallback"],
      summary: "When no builder answers: build here (local) or fail the deploy (fail)",
      positionals: [{ name: "local|fail" }],
      async run({ args, io }) {
        const fallback = word(args);
        if (fallback !== "local" && fallback !== "fail") throw nixError("NIX_CONFIG_INVALID", `nix.builders.fallback must be "local" or "fail", not "${fallback}".`, { details: { key: "nix.builders.fallback", value: fallback } });
        return saved(io.env, (config) => ({ ...config, builders: { ...config.builders, fallback } }), `Builders fallback set to ${fallback}.`);
      },
    }),
    defineCliCommand({
      name: ["nix", "key", "generate"],
      summary: "Make the key Hop3 signs built closures with (nix-store --generate-binary-cache-key)",
      options: {
        name: { type: "string", valueName: "NAME", description: "the key's name, seen in signatures (default: <hostname>-1)" },
        force: { type: "boolean", description: "replace the key there is" },
      },
      async run({ args, io }) {
        const made = makeSigningKey(io.env, { ...(typeof args.values.name === "string" && { name: args.values.name }), force: args.values.force === true });
        if (!made.made) return saved(io.env, (config) => ({ ...config, signingKey: made.file }), `Kept the signing key there is (${made.file}); --force makes a new one.`);
        const file = made.file;
        return saved(io.env, (config) => ({ ...config, signingKey: file }), `Made signing key ${file}; its public key, for other servers' \`hop3 nix trust\`: ${readFileSync(publicKeyFile(file), "utf8").trim()}`);
      },
    }),
    defineCliCommand({
      name: ["nix", "key", "show"],
      summary: "Print the public key other servers trust (hop3 nix trust KEY)",
      async run({ io }) {
        const config = readNixConfig(io.env);
        const key = ownPublicKey(config);
        if (key === undefined) throw nixError("NIX_CONFIG_INVALID", "This server has no signing key: `hop3 nix key generate` makes one.", { details: { key: "nix.signingKey" } });
        return { data: { publicKey: key, file: config.signingKey }, text: key };
      },
    }),
    defineCliCommand({
      name: ["nix", "trust"],
      summary: "Trust closures signed with another server's key",
      positionals: [{ name: "KEY", description: "NAME:BASE64, as `hop3 nix key show` prints it there" }],
      async run({ args, io }) {
        const key = word(args);
        if (!isPublicKey(key)) throw nixError("NIX_CONFIG_INVALID", `"${key}" is not a Nix public key (NAME:BASE64 of 32 bytes).`, { details: { key: "nix.trustedKeys", value: key } });
        return saved(io.env, (config) => ({ ...config, trustedKeys: [...config.trustedKeys.filter((k) => k !== key), key] }), `Trusting ${key.split(":")[0]}.`);
      },
    }),
    defineCliCommand({
      name: ["nix", "untrust"],
      summary: "Stop trusting a key",
      positionals: [{ name: "KEY" }],
      async run({ args, io }) {
        const key = word(args);
        return saved(io.env, (config) => ({ ...config, trustedKeys: config.trustedKeys.filter((k) => k !== key && k.split(":")[0] !== key) }), `No longer trusting ${key.split(":")[0]}.`);
      },
    }),
    defineCliCommand({
      name: ["nix", "check"],
      summary: "Check the builders answer, the key is there and trusted, the cache is reachable",
      async run({ io }) {
        const checks = checkNixDistributed(io.env);
        const text = checks.length === 0 ? ["No builders, cache or key configured: builds run here."] : checks.map((check) => `${check.ok ? "ok  " : "fail"} ${check.name}: ${check.detail}`);
        return { data: { checks }, text, exitCode: checks.every((check) => check.ok) ? 0 : 1 };
      },
    }),
  ];
}
