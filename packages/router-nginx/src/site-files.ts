import { existsSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { basename, join } from "node:path";
import { ensureDir, lookupGroup, lookupUser, writeFileAtomic, type DirOwnership, type Logger } from "@hop3/core";
import { nginxError } from "./errors.js";
import { siteFile, type NginxLayout } from "./layout.js";
import { renderMainConfig } from "./render-main.js";
import { renderMimeTypes } from "./mime-types.js";
import type { NginxSettings } from "./options.js";

/** Suffix of a site file moved aside because nginx refused it. */
export const BROKEN_SUFFIX = ".broken";

/** What `prepareLayout` changed, and how to put it back. */
export interface LayoutChange {
  /** True when nginx.conf was rewritten (nginx must reload to use it). */
  readonly changed: boolean;
  /** Puts the previous nginx.conf back, when nginx refused the new one. */
  restore(): void;
}

/**
 * Creates the prefix's directories, or puts their owner and mode right, and (re)writes nginx.conf
 * and mime.types when their content differs from what the settings give (a new HOP3_HTTP_PORT, a
 * new version of Hop3).
 */
export function prepareLayout(layout: NginxLayout, settings: NginxSettings): LayoutChange {
  for (const [dir, ownership] of prefixDirs(layout, settings)) ensureDir(dir, ownership);
  if (readText(layout.mimeTypes) !== renderMimeTypes()) writeFileAtomic(layout.mimeTypes, renderMimeTypes());
  const previous = readText(layout.conf);
  const next = renderMainConfig(layout, settings, "live", tlsActive(layout));
  if (previous === next) return { changed: false, restore() {} };
  writeFileAtomic(layout.conf, next);
  return { changed: true, restore: () => (previous === undefined ? undefined : writeFileAtomic(layout.conf, previous)) };
}

/**
 * Who may enter the prefix's directories. As root, the workers' group passes through the prefix to
 * logs/ (workers reopen the logs on SIGUSR1, the master having given the files to their user) and
 * temp/ (request bodies and large responses are buffered there, in directories the master gives to
 * their user); the configuration stays root's alone, and no app user may enter at all. Not root,
 * workers are Hop3's own user: everything is private to it.
 */
function prefixDirs(layout: NginxLayout, settings: NginxSettings): Array<[string, DirOwnership]> {
  const own: DirOwnership = settings.asRoot ? { mode: 0o700, uid: 0, gid: 0 } : { mode: 0o700 };
  const workers: DirOwnership = settings.asRoot ? { mode: 0o710, uid: 0, gid: workerGid(settings.user) } : own;
  return [
    [layout.prefix, workers],
    [layout.logs, workers],
    [layout.temp, workers],
    [layout.sites, own],
    [layout.staging, own],
    [layout.routes, own],
    // Workers test the live-slot files on every request, as their own user.
    [layout.liveSlots, workers],
  ];
}

/** The group nginx gives its workers: the group named like the user (nginx's rule), else the user's own. */
function workerGid(user: string | undefined): number {
  if (user === undefined) return 0;
  return lookupGroup(user)?.gid ?? lookupUser(user)?.gid ?? 0;
}

/** The live site files (`sites/*.conf`), sorted: what nginx's `include sites/*.conf` reads. */
export function liveSiteFiles(layout: NginxLayout): string[] {
  if (!existsSync(layout.sites)) return [];
  return readdirSync(layout.sites)
    .filter((name) => name.endsWith(".conf") && !name.startsWith("."))
    .sort()
    .map((name) => join(layout.sites, name));
}

/** Apps with a live site file. */
export const routedApps = (layout: NginxLayout): string[] => liveSiteFiles(layout).map((file) => basename(file, ".conf"));

/** The host names of every `server_name` directive in a site file. */
export function serverNames(text: string): string[] {
  const withoutComments = text.replace(/#[^\n]*/g, "");
  return [...withoutComments.matchAll(/(?:^|[\s;{}])server_name\s+([^;{}]+);/g)].flatMap((match) => match[1]!.trim().split(/\s+/));
}

/**
 * Refuses a host already routed to another app: nginx would only warn ("conflicting server
 * name") and keep routing it to whichever site it read first.
 */
export function checkHostsFree(layout: NginxLayout, app: string, hosts: readonly string[]): void {
  const own = siteFile(layout, app);
  for (const file of liveSiteFiles(layout)) {
    if (file === own) continue;
    const taken = serverNames(readText(file) ?? "").find((name) => hosts.includes(name));
    if (taken !== undefined) {
      const other = basename(file, ".conf");
      throw nginxError("ROUTE_HOST_CONFLICT", `The host name "${taken}" of app "${app}" is already routed to app "${other}".`, {
        details: { app, host: taken, otherApp: other },
      });
    }
  }
}

/** Moves a site file nginx refuses out of the include glob, so the other apps keep serving. */
export function quarantineSite(file: string, reason: string, logger: Logger): void {
  const target = `${file}${BROKEN_SUFFIX}`;
  renameSync(file, target);
  logger.warn(`nginx refused ${basename(file)} (${reason}); moved it aside to ${basename(target)} so the other apps keep serving.`);
}

/** A file's text, or undefined when it does not exist. */
export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** True once any host name has a certificate installed: nginx then listens for HTTPS. */
export function tlsActive(layout: NginxLayout): boolean {
  if (!existsSync(layout.tls.certs)) return false;
  return readdirSync(layout.tls.certs).some((host) => existsSync(join(layout.tls.certs, host, "served.pem")));
}
