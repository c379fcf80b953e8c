import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { hop3ConfigFile, readHop3Config, writeFileAtomic, z } from "@hop3/core";
import { nixError } from "../errors.js";

/**
 * The `nix` section of Hop3's config file: where builds run (remote builders), where built closures
 * go and come from (a binary cache), the key Hop3 signs them with and the keys it trusts.
 *
 * @example
 * { "nix": { "builders": { "machines": [{ "uri": "ssh://nix@build1", "systems": ["x86_64-linux"], "maxJobs": 4 }], "fallback": "local" },
 *            "cache": "file:///srv/nix-cache", "signingKey": "/root/.config/hop3/nix-signing-key.sec",
 *            "trustedKeys": ["other-server-1:3cT..."] } }
 */
export interface NixDistributedConfig {
  readonly builders: { readonly machines: readonly NixBuilderMachine[]; readonly fallback: "local" | "fail" };
  /** The binary cache: substituted from on every build, pushed to after a build here when there is a signing key. */
  readonly cache?: string;
  /** The secret key file Hop3 signs with (`hop3 nix key generate`); its public key is `<file minus .sec>.pub`. */
  readonly signingKey?: string;
  /** Public keys (`name:base64`) whose signatures a substituted closure may carry; the own key is always trusted. */
  readonly trustedKeys: readonly string[];
}

/** One remote builder, as Nix's `builders` setting takes it. */
export interface NixBuilderMachine {
  /** `ssh://user@host` (the other side runs `nix-store --serve --write`) or `ssh-ng://user@host` (`nix-daemon --stdio`). */
  readonly uri: string;
  /** The SSH port, when not 22. */
  readonly port?: number;
  /** Systems it builds for, e.g. x86_64-linux; empty: this machine's. */
  readonly systems: readonly string[];
  readonly maxJobs: number;
  /** The private key Hop3 logs in with; default: root's SSH keys. */
  readonly sshKey?: string;
  /** Its SSH host key (`ssh-ed25519 AAAA...`); default: root's known_hosts must hold it. */
  readonly hostKey?: string;
}

/** Values reach Nix's whitespace-separated settings and ssh: no spaces, quotes or control characters anywhere. */
const BUILDER_URI = /^(ssh|ssh-ng):\/\/([a-z_][a-z0-9_.-]*@)?[A-Za-z0-9][A-Za-z0-9.-]*$/;
const CACHE_URL = /^(file:\/\/\/[A-Za-z0-9._/+-]*|(ssh|ssh-ng):\/\/([a-z_][a-z0-9_.-]*@)?[A-Za-z0-9][A-Za-z0-9.-]*|https?:\/\/[A-Za-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._/+-]*)?)(\?[A-Za-z0-9=&._-]*)?$/;
const PUBLIC_KEY = /^[A-Za-z0-9._-]+:[A-Za-z0-9+/]{43}=$/;
const HOST_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521) [A-Za-z0-9+/]+={0,2}$/;
const SYSTEM = /^[a-z0-9_]+-[a-z0-9_]+$/;
const absolute = z.string().regex(/^\/[^\s\0]*$/, "must be an absolute path without spaces");

export const MachineSchema = z
  .object({
    uri: z.string().regex(BUILDER_URI, 'must be "ssh://user@host" or "ssh-ng://user@host"'),
    port: z.number().int().min(1).max(65535).optional(),
    systems: z.array(z.string().regex(SYSTEM, "must be a Nix system such as x86_64-linux")).default([]),
    maxJobs: z.number().int().min(1).max(1024).default(1),
    sshKey: absolute.optional(),
    hostKey: z.string().regex(HOST_KEY, 'must be a public host key line such as "ssh-ed25519 AAAA..."').optional(),
  })
  .strict();

const SectionSchema = z
  .object({
    builders: z
      .object({
        machines: z.array(MachineSchema).default([]),
        fallback: z.enum(["local", "fail"]).default("local"),
      })
      .strict()
      .default({ machines: [], fallback: "local" }),
    cache: z.string().regex(CACHE_URL, 'must be a binary cache URL: "file:///path", "ssh://user@host", "ssh-ng://user@host" or "https://host/path"').optional(),
    signingKey: absolute.optional(),
    trustedKeys: z.array(z.string().regex(PUBLIC_KEY, 'must be a Nix public key "name:base64" as `nix-store --generate-binary-cache-key` writes')).default([]),
  })
  .strict();

export const isBuilderUri = (value: string): boolean => BUILDER_URI.test(value);
export const isCacheUrl = (value: string): boolean => CACHE_URL.test(value);
export const isPublicKey = (value: string): boolean => PUBLIC_KEY.test(value);

type Env = Readonly<Record<string, string | undefined>>;

/** Validates a raw `nix` section; NIX_CONFIG_INVALID names the key. */
export function parseNixSection(raw: unknown, file: string | undefined): NixDistributedConfig {
  const parsed = SectionSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const keys = issue.code === "unrecognized_keys" ? (issue as { keys: string[] }).keys : [];
  const where = ["nix", ...issue.path.map(String), ...keys].join(".");
  const what = keys.length > 0 ? `has an unknown key "${where}"` : `has "${where}" ${issue.message}`;
  throw nixError("NIX_CONFIG_INVALID", `${file ?? "Hop3's config"} ${what}.`, { details: { ...(file !== undefined && { file }), key: where } });
}

/** The `nix` section of Hop3's config file, validated, with defaults. */
export function readNixConfig(env: Env): NixDistributedConfig {
  const config = readHop3Config(env);
  return parseNixSection(config.nix, config.file);
}

/** Whether builds leave the plain local nix-build: builders or a cache are configured. */
export const isDistributed = (config: NixDistributedConfig): boolean => config.builders.machines.length > 0 || config.cache !== undefined;

/**
 * Changes the `nix` section of Hop3's config file and writes the file back (other keys kept as
 * written, the file's mode kept), refusing a result that does not validate.
 */
export function updateNixConfig(env: Env, change: (current: NixDistributedConfig) => NixDistributedConfig): { file: string; config: NixDistributedConfig } {
  const file = hop3ConfigFile(env);
  if (file === undefined) throw nixError("NIX_CONFIG_INVALID", "Hop3's config file has no place: set HOP3_CONFIG or HOME.", { details: {} });
  readHop3Config(env); // a broken file is reported as it is, not overwritten
  const raw = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
  const next = parseNixSection(change(parseNixSection(raw.nix, file)), file);
  const mode = existsSync(file) ? statSync(file).mode & 0o777 : 0o644;
  writeFileAtomic(file, `${JSON.stringify({ ...raw, nix: compact(next) }, null, 2)}\n`, mode);
  return { file, config: next };
}

/** Leaves defaults out of the file: what the operator set, only. */
function compact(config: NixDistributedConfig): Record<string, unknown> {
  const builders = config.builders.machines.length > 0 || config.builders.fallback !== "local" ? { builders: config.builders } : {};
  return {
    ...builders,
    ...(config.cache !== undefined && { cache: config.cache }),
    ...(config.signingKey !== undefined && { signingKey: config.signingKey }),
    ...(config.trustedKeys.length > 0 && { trustedKeys: config.trustedKeys }),
  };
}

/** Where `hop3 nix key generate` puts the key: next to Hop3's config file. */
export function defaultSigningKeyFile(env: Env): string {
  const file = hop3ConfigFile(env);
  if (file === undefined) throw nixError("NIX_CONFIG_INVALID", "Hop3's config file has no place: set HOP3_CONFIG or HOME.", { details: {} });
  return join(dirname(file), "nix-signing-key.sec");
}

/** The public key file next to a secret key file. */
export const publicKeyFile = (secretFile: string): string => secretFile.replace(/\.sec$/, "") + ".pub";

/** The public key of the signing key, or undefined when there is none (or it cannot be read). */
export function ownPublicKey(config: NixDistributedConfig): string | undefined {
  if (config.signingKey === undefined) return undefined;
  try {
    const key = readFileSync(publicKeyFile(config.signingKey), "utf8").trim();
    return PUBLIC_KEY.test(key) ? key : undefined;
  } catch {
    return undefined;
  }
}

/** Every key a substituted path may be signed with: the own key, then the trusted ones. */
export function trustedKeys(config: NixDistributedConfig): string[] {
  const own = ownPublicKey(config);
  return [...new Set([...(own ? [own] : []), ...config.trustedKeys])];
}
