import { isIP } from "node:net";
import { isLocalHostName, type CertificateFiles } from "@hop3/core";
import { liveSlotFile, type NginxLayout } from "./layout.js";
import { listenAddress, type NginxSettings } from "./options.js";
import { quote } from "./quote.js";
import { challengeLocation, tlsListen } from "./render-tls.js";
import type { CheckedRoute } from "./route-check.js";

/** The nginx upstream of an app's web workers. */
export const upstreamName = (app: string): string => `hop3_${app}`;

/** The variable that names the live slot of an app with slots, set on every request. */
const SLOT_VARIABLE = "$hop3_slot";

/**
 * The certificate of a host name, when it has one (core's `installedCertificate`, bound to a
 * home), with a digest of its content: written into the site, so a renewed certificate changes
 * the file and goes through the validated reload even though its paths stay the same.
 */
export type CertificateLookup = (host: string) => (Pick<CertificateFiles, "served"> & { readonly digest: string }) | undefined;

/** What a site needs of the settings and layout. */
export type SiteSettings = Pick<NginxSettings, "bindAddress" | "httpPort" | "httpsPort" | "hstsMaxAge">;

/**
 * One app's site file: its upstream (for a web app), then its servers. Names without a certificate
 * are served over HTTP; a name with one is also served over HTTPS (HTTP/2), and a public name with
 * one has its HTTP redirected to HTTPS but for ACME challenges. Only checked routes get here, so
 * names are safe as they are and paths only need quotes.
 */
export function renderSite(route: CheckedRoute, settings: SiteSettings, layout: NginxLayout, certificateOf: CertificateLookup = () => undefined): string {
  const web = route.upstreams.length > 0;
  const secured = route.hosts.flatMap((host) => {
    const files = certificateOf(host);
    return files === undefined ? [] : [{ host, ...files }];
  });
  const redirected = secured.map((s) => s.host).filter((host) => !isLocalHostName(host));
  const plain = route.hosts.filter((host) => !redirected.includes(host));
  const lines = [
    `# Managed by Hop3 (@hop3/router-nginx): app "${route.app}". Rewritten on every deploy: edits here are lost.`,
    ...(web ? [...(route.slots ? renderSlotUpstreams(route) : renderUpstream(route)), ""] : []),
  ];
  if (plain.length > 0) {
    lines.push("server {", `    listen ${listenAddress(settings)};`, `    server_name ${plain.join(" ")};`, "", challengeLocation(layout, "    "), ...renderBody(route, web, layout), "}", "");
  }
  if (redirected.length > 0) {
    const port = settings.httpsPort === 443 ? "" : `:${settings.httpsPort}`;
    lines.push(
      "# HTTPS only: plain HTTP is redirected, but for the ACME challenges that renew the certificate.",
      "server {",
      `    listen ${listenAddress(settings)};`,
      `    server_name ${redirected.join(" ")};`,
      "",
      challengeLocation(layout, "    "),
      "",
      "    location / {",
      `        return 301 https://$host${port}$request_uri;`,
      "    }",
      "}",
      "",
    );
  }
  for (const { host, served, digest } of secured) {
    const hsts = settings.hstsMaxAge > 0 && !isLocalHostName(host);
    lines.push(
      `# Certificate sha256:${digest}`,
      "server {",
      `    ${tlsListen(settings)}`,
      `    server_name ${host};`,
      // One file holds the key and its chain: swapped in one rename, never a key with another's certificate.
      `    ssl_certificate ${quote(served)};`,
      `    ssl_certificate_key ${quote(served)};`,
      ...(hsts ? [`    add_header Strict-Transport-Security "max-age=${settings.hstsMaxAge}" always;`] : []),
      ...renderBody(route, web, layout),
      "}",
      "",
    );
  }
  return lines.join("\n");
}

function renderUpstream(route: CheckedRoute): string[] {
  return [
    `upstream ${upstreamName(route.app)} {`,
    ...route.upstreams.map((u) => `    server ${isIP(u.host) === 6 ? `[${u.host}]` : u.host}:${u.port};`),
    "    keepalive 16;",
    "}",
  ];
}

/**
 * One upstream per slot. Upstream connections are not kept alive: a connection open to an instance
 * is a request in flight, so the deployer's drain knows when the old slot is idle, and no idle
 * connection is cut when it stops. No failure is remembered (`max_fails=0`): an instance respawned
 * by uWSGI serves the next request at once. The other slot is never a fallback: its ports are free
 * between releases, and any program (another app's) could listen there.
 */
function renderSlotUpstreams(route: CheckedRoute): string[] {
  const slots = route.slots!;
  return (["a", "b"] as const).flatMap((slot) => [
    `upstream ${upstreamName(route.app)}_${slot} {`,
    ...slots[slot].map((u) => `    server ${isIP(u.host) === 6 ? `[${u.host}]` : u.host}:${u.port} max_fails=0;`),
    "}",
  ]);
}

/**
 * Which slot serves, read on every request (a stat of one file): the switch is a file created or
 * removed, never a reload. Evaluated at the server level, before any location.
 */
function slotSelection(route: CheckedRoute, layout: NginxLayout, indent = "    "): string[] {
  if (route.slots === undefined || route.upstreams.length === 0) return [];
  return ["", `${indent}set ${SLOT_VARIABLE} a;`, `${indent}if (-f ${quote(liveSlotFile(layout, route.app))}) {`, `${indent}    set ${SLOT_VARIABLE} b;`, `${indent}}`];
}

/** The location a request goes to when nginx could not get an answer from the slot it chose. */
const RETRY_LOCATION = "@hop3_retry";

/**
 * A request that chose the old slot just before a switch can reach it once it has stopped (its
 * worker was not scheduled in between): nginx answers 502 itself. Such a request is sent once
 * more, to the slot live now, when it may be sent twice (GET, HEAD, OPTIONS: nothing of it was
 * acted on). A 502 the app itself answers is passed on as it is (no proxy_intercept_errors).
 */
function retryLocation(route: CheckedRoute, layout: NginxLayout): string[] {
  if (route.slots === undefined || route.upstreams.length === 0) return [];
  return [
    "",
    `    location ${RETRY_LOCATION} {`,
    "        if ($request_method !~ ^(GET|HEAD|OPTIONS)$) {",
    "            return 502;",
    "        }",
    ...slotSelection(route, layout, "        ").slice(1),
    ...proxyDirectives(route, false),
    "    }",
  ];
}

function renderBody(route: CheckedRoute, web: boolean, layout: NginxLayout): string[] {
  return [
    ...slotSelection(route, layout),
    "",
    "    # Dot-files (.git, .env, .htpasswd) are never served; .well-known stays reachable (ACME).",
    "    location ~ /\\.(?!well-known(/|$)) {",
    "        deny all;",
    "    }",
    ...renderContent(route, web),
    ...retryLocation(route, layout),
  ];
}

function renderContent(route: CheckedRoute, web: boolean): string[] {
  if (route.staticDir === undefined) {
    return ["", "    location / {", ...proxyDirectives(route), "    }"];
  }
  if (!web) {
    // A single-page app gets index.html for unknown paths; with no index.html, a plain 404.
    return [
      "",
      ...rootDirectives(route.staticDir),
      "    index index.html;",
      "",
      "    location / {",
      "        try_files $uri $uri/ /index.html =404;",
      "    }",
    ];
  }
  // A URI ending in "/" would make try_files test a directory, and a directory without index.html
  // (the usual `public/` at `/`) would answer 403 instead of falling back to the app.
  return [
    "",
    ...rootDirectives(route.staticDir),
    "",
    "    location / {",
    "        try_files $uri @app;",
    "    }",
    "",
    "    location ~ /$ {",
    "        try_files ${uri}index.html @app;",
    "    }",
    "",
    "    location @app {",
    ...proxyDirectives(route),
    "    }",
  ];
}

/**
 * The served directory, and no symbolic link on the way to any file: a link an app ships
 * (`public/pw -> /etc/passwd`, a link into another app's release) answers 403 or 404, never the
 * target. Every component is checked, the root's own included: `from=$document_root` would let a
 * root replaced by a link after the deploy lead anywhere. The root is a real path (checkRoute), so
 * the check passes on the way to it. Set at the server level, it holds in every location.
 */
function rootDirectives(staticDir: string): string[] {
  return [`    root ${quote(staticDir)};`, "    disable_symlinks on;"];
}

function proxyDirectives(route: CheckedRoute, retry = true): string[] {
  const upstream = route.slots ? `${upstreamName(route.app)}_${SLOT_VARIABLE}` : upstreamName(route.app);
  return [
    ...(route.slots && retry ? [`        error_page 502 = ${RETRY_LOCATION};`] : []),
    `        proxy_pass http://${upstream};`,
    "        proxy_http_version 1.1;",
    // $http_host keeps the port, so apps build correct absolute URLs on :8080.
    "        proxy_set_header Host $http_host;",
    "        proxy_set_header X-Real-IP $remote_addr;",
    "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "        proxy_set_header X-Forwarded-Proto $scheme;",
    "        proxy_set_header X-Forwarded-Host $host;",
    "        proxy_set_header X-Forwarded-Port $server_port;",
    "        proxy_set_header Upgrade $http_upgrade;",
    "        proxy_set_header Connection $connection_upgrade;",
    // An app's instances listen on this machine: a connect that takes long is a full accept queue
    // of a busy app, and the kernel sends its first packet again at 1, 3, 7, 15 and 31 s. Giving up
    // at 5 s answered 504 to a request the app would have served a moment later (nginx's own
    // default, and Dokku's, is 60 s).
    "        proxy_connect_timeout 60s;",
    "        proxy_send_timeout 120s;",
    "        proxy_read_timeout 120s;",
  ];
}
