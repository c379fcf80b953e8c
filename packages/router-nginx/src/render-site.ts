import { isIP } from "node:net";
import { listenAddress, type NginxSettings } from "./options.js";
import { quote } from "./quote.js";
import type { CheckedRoute } from "./route-check.js";

/** The nginx upstream of an app's web workers. */
export const upstreamName = (app: string): string => `hop3_${app}`;

/**
 * One app's site file: its server block and, for a web app, its upstream. Only checked routes
 * get here, so names are safe as they are and paths only need quotes.
 */
export function renderSite(route: CheckedRoute, settings: Pick<NginxSettings, "bindAddress" | "httpPort">): string {
  const web = route.upstreams.length > 0;
  const lines = [
    `# Managed by Hop3 (@hop3/router-nginx): app "${route.app}". Rewritten on every deploy: edits here are lost.`,
    ...(web ? [...renderUpstream(route), ""] : []),
    "server {",
    `    listen ${listenAddress(settings)};`,
    `    server_name ${route.hosts.join(" ")};`,
    "",
    "    # Dot-files (.git, .env, .htpasswd) are never served; .well-known stays reachable (ACME).",
    "    location ~ /\\.(?!well-known(/|$)) {",
    "        deny all;",
    "    }",
    ...renderBody(route, web),
    "}",
    "",
  ];
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

function renderBody(route: CheckedRoute, web: boolean): string[] {
  if (route.staticDir === undefined) {
    return ["", "    location / {", ...proxyDirectives(route.app), "    }"];
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
    ...proxyDirectives(route.app),
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

function proxyDirectives(app: string): string[] {
  return [
    `        proxy_pass http://${upstreamName(app)};`,
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
    "        proxy_connect_timeout 5s;",
    "        proxy_send_timeout 120s;",
    "        proxy_read_timeout 120s;",
  ];
}
