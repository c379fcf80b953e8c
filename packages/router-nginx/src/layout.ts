import { join, resolve } from "node:path";
import { tlsLayout, type TlsLayout } from "@hop3/core";
import { nginxError } from "./errors.js";
import { describeCharacter, unsafeCharacter } from "./quote.js";

/** Where Hop3's own nginx keeps everything: one prefix under HOP3_HOME, nothing outside it. */
export interface NginxLayout {
  /** `<home>/nginx`, passed to nginx as `-p <prefix>/`. */
  readonly prefix: string;
  /** The main configuration, rewritten by Hop3. */
  readonly conf: string;
  readonly mimeTypes: string;
  /** One `<app>.conf` per routed app; `*.conf.broken` are files moved aside. */
  readonly sites: string;
  /** Candidate site files and test configurations, never included by the live configuration. */
  readonly staging: string;
  readonly logs: string;
  readonly errorLog: string;
  readonly accessLog: string;
  /** Parent of nginx's *_temp_path directories. */
  readonly temp: string;
  readonly pidFile: string;
  /** Held while the configuration changes, across Hop3 processes. */
  readonly lockFile: string;
  /** The route each site file was rendered from, kept to render it again when certificates change. */
  readonly routes: string;
  /** Which release slot serves each app with slots: `<app>.b` exists while slot b is live (see liveSlotFile). */
  readonly liveSlots: string;
  /** HOP3_HOME's certificates and ACME challenges (core's TLS layout). */
  readonly tls: TlsLayout;
}

/** The layout under a HOP3_HOME. Raises NGINX_PREFIX_INVALID when the path cannot go into nginx config. */
export function nginxLayout(home: string): NginxLayout {
  const prefix = join(resolve(home), "nginx");
  const bad = unsafeCharacter(prefix);
  if (bad !== undefined) {
    throw nginxError("NGINX_PREFIX_INVALID", `The nginx directory ${JSON.stringify(prefix)} contains ${describeCharacter(bad)}.`, {
      details: { prefix },
    });
  }
  const logs = join(prefix, "logs");
  return {
    prefix,
    conf: join(prefix, "nginx.conf"),
    mimeTypes: join(prefix, "mime.types"),
    sites: join(prefix, "sites"),
    staging: join(prefix, "staging"),
    logs,
    errorLog: join(logs, "error.log"),
    accessLog: join(logs, "access.log"),
    temp: join(prefix, "temp"),
    pidFile: join(prefix, "nginx.pid"),
    lockFile: join(prefix, ".lock"),
    routes: join(prefix, "routes"),
    liveSlots: join(prefix, "live"),
    tls: tlsLayout(home),
  };
}

/** The live site file of an app (the name is already validated). */
export const siteFile = (layout: NginxLayout, app: string): string => join(layout.sites, `${app}.conf`);

/** The route an app's site file was rendered from. */
export const routeFile = (layout: NginxLayout, app: string): string => join(layout.routes, `${app}.json`);

/**
 * The file whose existence sends an app's requests to its slot b: nginx tests it on every request,
 * so creating or removing it switches the app without a reload. Absent means slot a.
 */
export const liveSlotFile = (layout: NginxLayout, app: string): string => join(layout.liveSlots, `${app}.b`);
