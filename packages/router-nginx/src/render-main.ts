import { join } from "node:path";
import type { NginxLayout } from "./layout.js";
import { listenAddress, type NginxSettings } from "./options.js";
import { quote } from "./quote.js";
import { challengeLocation, tlsListen } from "./render-tls.js";

/** What unknown host names get: a short text, never another app's pages. */
export const UNKNOWN_HOST_BODY = "No Hop3 app answers to this host name.";

/**
 * The main nginx.conf. The live one includes `sites/*.conf`; a candidate, used only with
 * `nginx -t`, lists the exact site files to test instead. Every path is absolute, because nginx
 * resolves relative ones against the directory of whichever file it was given.
 */
export function renderMainConfig(layout: NginxLayout, settings: NginxSettings, sites: "live" | readonly string[] = "live", tls = false): string {
  const includes = sites === "live" ? [join(layout.sites, "*.conf")] : sites;
  const temp = (name: string) => quote(join(layout.temp, name));
  return `# Managed by Hop3 (@hop3/router-nginx). Rewritten when Hop3 starts nginx: edits here are lost.
# Apps are in sites/<app>.conf, one file each.
${settings.user === undefined ? "" : `user ${settings.user};\n`}worker_processes ${settings.workerProcesses};
pid ${quote(layout.pidFile)};
error_log ${quote(layout.errorLog)} warn;

events {
    worker_connections 1024;
}

http {
    include ${quote(layout.mimeTypes)};
    default_type application/octet-stream;
    access_log ${quote(layout.accessLog)};

    client_body_temp_path ${temp("client_body")};
    proxy_temp_path ${temp("proxy")};
    fastcgi_temp_path ${temp("fastcgi")};
    uwsgi_temp_path ${temp("uwsgi")};
    scgi_temp_path ${temp("scgi")};

    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65s;
    # A client's keep-alive connection is closed after this many requests (with Connection: close);
    # a client that sends its next request at that instant sees a reset, so it happens rarely.
    keepalive_requests 10000;
    server_tokens off;
    client_max_body_size 64m;
    # Host names may be up to 253 characters; the default bucket (64) refuses long ones.
    server_names_hash_bucket_size 512;

    gzip on;
    gzip_types text/css text/plain text/xml text/csv application/javascript application/json application/xml image/svg+xml;

    # Websocket upgrades pass through; other requests send no Connection header, which keeps
    # upstream connections alive (see keepalive in each upstream).
    map $http_upgrade $connection_upgrade {
        default upgrade;
        "" "";
    }

${TLS_SETTINGS}
    # Host names no app claims. ACME challenges are answered for every name that points here.
    server {
        listen ${listenAddress(settings)} default_server;
        server_name _;
${challengeLocation(layout, "        ")}
        location / {
            default_type text/plain;
            return 404 "${UNKNOWN_HOST_BODY}\\n";
        }
    }
${tls ? unknownTlsHost(settings) : ""}
${includes.map((path) => `    include ${quote(path)};`).join("\n")}
}
`;
}

/**
 * Mozilla's "intermediate" configuration (TLS 1.2 and 1.3, forward-secret AEAD ciphers), for
 * every HTTPS server. The DHE suites are left out: they need a dhparam file and every client
 * that has them also has ECDHE. Set at the http level, it costs nothing while no server uses TLS.
 */
const TLS_SETTINGS = `    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ecdh_curve X25519:prime256v1:secp384r1;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
    ssl_prefer_server_ciphers off;
    # Resumed sessions skip the full handshake; tickets stay off (their key never rotates in nginx).
    ssl_session_cache shared:hop3_tls:10m;
    ssl_session_timeout 1d;
    ssl_session_tickets off;
`;

/** HTTPS for names no app has a certificate for: the handshake is refused, no certificate is shown. */
function unknownTlsHost(settings: NginxSettings): string {
  return `
    server {
        ${tlsListen(settings, true)}
        server_name _;
        ssl_reject_handshake on;
    }
`;
}
