import type { Hop3Toml } from "./schemas/hop3-toml.js";

/**
 * A part of hop3.toml that this Hop3 reads and keeps but does not act on yet: sections the
 * original Hop3 defines for features this one lacks (domains, backups...). Each becomes
 * a warning that names it; none is an error, and none is dropped from `AppConfig.toml`.
 */
export interface NotActedOn {
  /** As written in hop3.toml: "[[addons]]", "[build] packages", "[env] SECRET_KEY". */
  readonly what: string;
  /** Why, and what to do instead. */
  readonly why: string;
}

const keysOf = (table: object | undefined, keys: readonly string[]) => keys.filter((key) => table !== undefined && key in table);
const list = (names: readonly string[]) => names.join(", ");

/** Everything of a parsed hop3.toml that is recognized and kept, but not acted on. */
export function findNotActedOn(toml: Hop3Toml): NotActedOn[] {
  const found: NotActedOn[] = [];
  const add = (what: string, why: string) => found.push({ what, why });

  const buildKeys = keysOf(toml.build, ["packages", "node-version", "test", "pip-install", "ignore-file", "static-dir"]);
  if (buildKeys.length > 0) add(`[build] ${list(buildKeys)}`, "no builder of this Hop3 installs system packages, picks a Node version or runs these; install what the app needs on the server");
  if (toml.run?.packages !== undefined) add("[run] packages", "no system packages are installed; install what the app needs on the server");
  if (toml.run?.static !== undefined) add("[run] static", "URL paths are not mapped to directories; use a `static` worker to serve one");
  if (toml.docker?.runtime !== undefined) add("[docker] runtime", "the Docker builder runs one container per app, never docker-compose");

  const nixTemplateKeys = Object.keys(toml.nix ?? {}).filter((key) => !["include", "options", "timeout"].includes(key));
  if (nixTemplateKeys.length > 0) add(`[nix] ${list(nixTemplateKeys)}`, "this Hop3 does not generate hop3.nix from a template; the app needs its own hop3.nix");

  const portNames = Object.keys(toml.port ?? {}).filter((name) => name !== "web");
  if (portNames.length > 0) add(`[port] ${list(portNames)}`, "only [port] web is used (as the container port); other ports are not opened");

  if (toml.env?.computed !== undefined) add(`[env.computed] ${list(Object.keys(toml.env.computed))}`, "`${VAR}` values are not interpolated; set the final values with `hop3 config set`");
  if (toml.env?._policy !== undefined) add("[env] _policy", "hop3.toml [env] is applied on every deploy; values set with `hop3 config set` always win");

  const volumeKeys = [...new Set((toml.volumes ?? []).flatMap((volume) => keysOf(volume, ["size", "mode", "backup"])))];
  if (volumeKeys.length > 0) add(`[[volumes]] ${list(volumeKeys)}`, "a volume is a directory of the app's, mode 0700: no size limit, other mode or backup is applied");

  const sections: ReadonlyArray<readonly [keyof Hop3Toml, string, string]> = [
    ["test", "[test]", "it describes upstream's test harness"],
    ["admin", "[admin]", "no administrator account is created; create it in a before-run command"],
    ["backup", "[backup]", "this Hop3 makes no backups"],
    ["static", "[static]", "URL paths are not mapped to directories; use a `static` worker to serve one"],
    ["ports", "[[ports]]", "host ports are not opened"],
    ["contexts", "[contexts]", "deploy targets belong to upstream's CLI; deploy with `hop3 deploy`"],
    ["waf", "[waf]", "no web application firewall is set up"],
    ["source", "[source]", "sources are not downloaded; deploy a directory that holds them"],
    ["integration", "[integration]", "no platform services (mail, SSO, LDAP) are wired in"],
    ["storage", "[storage]", "no storage is provisioned"],
    ["php", "[php]", "php.ini settings are not written"],
    ["tcp_ports", "[tcp_ports]", "host ports are not opened"],
    ["udp_ports", "[udp_ports]", "host ports are not opened"],
    ["capabilities", "[capabilities]", "no Linux capabilities are granted"],
  ];
  for (const [key, what, why] of sections) if (toml[key] !== undefined) add(what, why);
  return found;
}

/** The warning line of one thing not acted on. */
export const notActedOnWarning = ({ what, why }: NotActedOn): string => `hop3.toml ${what}: recognized but not acted on (${why}).`;
