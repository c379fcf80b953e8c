import { realpathSync } from "node:fs";
import { isIP } from "node:net";
import { posix } from "node:path";
import { coreErrorCatalog, Hop3Error, isValidAppName, isValidHostName, type RouteSlots, type RouteSpec, type Upstream } from "@hop3/core";
import { nginxError } from "./errors.js";
import { describeCharacter, unsafeCharacter } from "./quote.js";

/** A route whose every name, address and path has been checked and may be written into nginx config. */
export interface CheckedRoute {
  readonly app: string;
  /** Unique, in the order given. */
  readonly hosts: readonly string[];
  /** Unique, in the order given. */
  readonly upstreams: readonly Upstream[];
  /** Absolute, normalized, without a trailing slash; its real path (links resolved) when it exists. */
  readonly staticDir?: string;
  /** Both slots, each unique and apart from the other; `upstreams` is then the live slot's. */
  readonly slots?: RouteSlots;
}

/**
 * Checks everything of a route that ends up in a file name or in nginx configuration, before
 * anything is written. A static directory that exists is replaced by its real path, checked again:
 * nginx refuses every link on the way to a file (`disable_symlinks`), the root's included. Raises APP_NAME_INVALID, ROUTE_HOST_INVALID, ROUTE_UPSTREAM_INVALID,
 * ROUTE_PATH_INVALID or ROUTE_TARGET_MISSING.
 */
export function checkRoute(route: RouteSpec): CheckedRoute {
  const app = checkAppName(route.app);
  if (!Array.isArray(route.hosts) || route.hosts.length === 0) {
    throw nginxError("ROUTE_HOST_INVALID", `The route of app "${app}" has no host name; it needs at least ${app}.localhost.`, {
      details: { app },
    });
  }
  const hosts = unique(route.hosts.map((host) => checkHost(app, host)));
  const slots = route.slots === undefined ? undefined : checkSlots(app, route.slots);
  const upstreams = slots ? slots[slots.live] : checkUpstreams(app, route.upstreams ?? []);
  const staticDir = route.staticDir === undefined ? undefined : checkStaticDir(app, route.staticDir);
  if (upstreams.length === 0 && staticDir === undefined) {
    throw nginxError("ROUTE_TARGET_MISSING", `The route of app "${app}" has no web worker and no static directory.`, { details: { app } });
  }
  return { app, hosts, upstreams, ...(staticDir !== undefined && { staticDir }), ...(slots && { slots }) };
}

const checkUpstreams = (app: string, upstreams: readonly Upstream[]): Upstream[] =>
  uniqueBy(upstreams.map((upstream) => checkUpstream(app, upstream)), (u) => `${u.host}:${u.port}`);

/** Both slots have as many instances, none shared: each is the other's fallback. */
function checkSlots(app: string, slots: RouteSlots): RouteSlots {
  const fail = (why: string) => nginxError("ROUTE_UPSTREAM_INVALID", `The release slots of app "${app}" are not valid: ${why}.`, { details: { app } });
  if (slots.live !== "a" && slots.live !== "b") throw fail(`the live slot must be "a" or "b", not ${JSON.stringify(slots.live)}`);
  const a = checkUpstreams(app, slots.a ?? []);
  const b = checkUpstreams(app, slots.b ?? []);
  if (a.length !== b.length) throw fail("both slots must have the same number of web instances");
  const inA = new Set(a.map((u) => `${u.host}:${u.port}`));
  if (b.some((u) => inA.has(`${u.host}:${u.port}`))) throw fail("an address is in both slots");
  return { live: slots.live, a, b };
}

/** Raises core's APP_NAME_INVALID: the same rule, and the same code, as everywhere else in Hop3. */
export function checkAppName(app: unknown): string {
  if (typeof app === "string" && isValidAppName(app)) return app;
  throw new Hop3Error({
    code: "APP_NAME_INVALID",
    message: `The app name ${JSON.stringify(app)} is not valid; it would become a file name and an nginx host name.`,
    hint: coreErrorCatalog.APP_NAME_INVALID.hint,
    details: { app },
  });
}

function checkHost(app: string, host: unknown): string {
  if (typeof host === "string" && isValidHostName(host)) return host;
  throw nginxError("ROUTE_HOST_INVALID", `The host name ${JSON.stringify(host)} of app "${app}" is not a valid host name.`, {
    details: { app, host },
  });
}

function checkUpstream(app: string, upstream: Upstream): Upstream {
  const { host, port } = upstream ?? ({} as Upstream);
  const hostOk = typeof host === "string" && (isIP(host) !== 0 || isValidHostName(host));
  const portOk = Number.isInteger(port) && port >= 1 && port <= 65535;
  if (hostOk && portOk) return { host, port };
  throw nginxError(
    "ROUTE_UPSTREAM_INVALID",
    `The web worker address ${JSON.stringify(host)}:${JSON.stringify(port)} of app "${app}" is not valid: ${hostOk ? "the port must be an integer from 1 to 65535" : "the host must be an IP address or a host name"}.`,
    { details: { app, host, port } },
  );
}

function checkStaticDir(app: string, dir: unknown): string {
  const fail = (why: string) =>
    nginxError("ROUTE_PATH_INVALID", `The static directory ${JSON.stringify(dir)} of app "${app}" ${why}.`, { details: { app, path: dir } });
  if (typeof dir !== "string" || dir === "") throw fail("is empty");
  const bad = unsafeCharacter(dir);
  if (bad !== undefined) throw fail(`contains ${describeCharacter(bad)}, which nginx configuration cannot hold safely`);
  if (!posix.isAbsolute(dir)) throw fail("is not an absolute path");
  const normalized = dir.length > 1 ? dir.replace(/\/+$/, "") : dir;
  if (posix.normalize(normalized) !== normalized) throw fail("is not normalized (it has `.`, `..` or `//` in it)");
  if (normalized === "/") throw fail("is the root of the file system, which would serve every file of the machine");
  const real = realPathOf(normalized);
  if (real === undefined || real === normalized) return normalized;
  const badReal = unsafeCharacter(real);
  if (badReal !== undefined) throw fail(`is a link to a path that contains ${describeCharacter(badReal)}, which nginx configuration cannot hold safely`);
  if (real === "/") throw fail("is a link to the root of the file system, which would serve every file of the machine");
  return real;
}

function realPathOf(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined; // missing: the deployer says so; nginx would answer 404
  }
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

function uniqueBy<T>(values: readonly T[], key: (value: T) => string): T[] {
  const seen = new Set<string>();
  return values.filter((value) => !seen.has(key(value)) && seen.add(key(value)));
}
