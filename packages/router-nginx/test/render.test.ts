import { describe, expect, it } from "vitest";
import { nginxLayout } from "../src/layout.js";
import { renderMainConfig } from "../src/render-main.js";
import { renderSite } from "../src/render-site.js";
import { resolveNginxSettings } from "../src/options.js";

const settings = resolveNginxSettings({ httpPort: 8080 }, {}, true);
const layout = nginxLayout("/srv/hop3");
const compact = (text: string) => text.replace(/\s+/g, " ");

describe("renderSite", () => {
  it("serves a static-only app from its directory, with index.html for unknown paths and no upstream", () => {
    const site = renderSite({ app: "docs", hosts: ["docs.localhost", "docs.example.org"], upstreams: [], staticDir: "/srv/docs site" }, settings, layout);
    expect(site).toContain("listen 127.0.0.1:8080;");
    expect(site).toContain("server_name docs.localhost docs.example.org;");
    expect(site).toContain('root "/srv/docs site";');
    expect(site).toContain("try_files $uri $uri/ /index.html =404;");
    expect(site).toContain("disable_symlinks on;");
    expect(site).not.toContain("upstream");
    expect(site).not.toContain("proxy_pass");
  });

  it("proxies a web app to every instance with the forwarding and websocket headers", () => {
    const site = renderSite(
      {
        app: "api",
        hosts: ["api.localhost"],
        upstreams: [
          { host: "127.0.0.1", port: 5000 },
          { host: "::1", port: 5001 },
        ],
      },
      settings,
      layout,
    );
    expect(compact(site)).toContain("upstream hop3_api { server 127.0.0.1:5000; server [::1]:5001; keepalive 16; }");
    expect(site).toContain("proxy_pass http://hop3_api;");
    for (const header of [
      "Host $http_host",
      "X-Real-IP $remote_addr",
      "X-Forwarded-For $proxy_add_x_forwarded_for",
      "X-Forwarded-Proto $scheme",
      "X-Forwarded-Host $host",
      "X-Forwarded-Port $server_port",
      "Upgrade $http_upgrade",
      "Connection $connection_upgrade",
    ]) {
      expect(site).toContain(`proxy_set_header ${header};`);
    }
    expect(site).toContain("proxy_http_version 1.1;");
    expect(site).not.toContain("root ");
    expect(site).not.toContain("disable_symlinks");
  });

  it("renders both release slots, and picks the live one per request from a file", () => {
    const a = [{ host: "127.0.0.1", port: 5000 }];
    const b = [{ host: "127.0.0.1", port: 5001 }];
    const site = compact(renderSite({ app: "api", hosts: ["api.localhost"], upstreams: a, slots: { live: "a", a, b } }, settings, layout));
    expect(site).toContain("upstream hop3_api_a { server 127.0.0.1:5000 max_fails=0; }");
    expect(site).toContain("upstream hop3_api_b { server 127.0.0.1:5001 max_fails=0; }");
    expect(site).not.toContain("backup"); // a free port of the other slot is no fallback: anyone may listen there
    expect(site).toContain('set $hop3_slot a; if (-f "/srv/hop3/nginx/live/api.b") { set $hop3_slot b; }');
    expect(site).toContain("proxy_pass http://hop3_api_$hop3_slot;");
    // A 502 of nginx's own (the old slot stopped under the request) sends an idempotent request once more, to the slot live then.
    expect(site).toContain("location / { error_page 502 = @hop3_retry; proxy_pass http://hop3_api_$hop3_slot;");
    expect(site).toContain('location @hop3_retry { if ($request_method !~ ^(GET|HEAD|OPTIONS)$) { return 502; } set $hop3_slot a; if (-f "/srv/hop3/nginx/live/api.b") { set $hop3_slot b; } proxy_pass http://hop3_api_$hop3_slot;');
    expect(site.match(/error_page 502/g)).toHaveLength(1); // the retry itself is not retried
    expect(site).not.toContain("keepalive");
    // Which slot is live is not in the file: a switch leaves it as it is.
    expect(renderSite({ app: "api", hosts: ["api.localhost"], upstreams: b, slots: { live: "b", a, b } }, settings, layout)).toBe(
      renderSite({ app: "api", hosts: ["api.localhost"], upstreams: a, slots: { live: "a", a, b } }, settings, layout),
    );
  });

  it("serves the static files of a web app first and falls back to the app", () => {
    const site = compact(renderSite({ app: "shop", hosts: ["shop.localhost"], upstreams: [{ host: "127.0.0.1", port: 5000 }], staticDir: "/srv/shop" }, settings, layout));
    expect(site).toContain('root "/srv/shop"; disable_symlinks on;');
    expect(site).toContain("location / { try_files $uri @app; }");
    expect(site).toContain("location ~ /$ { try_files ${uri}index.html @app; }");
    expect(site).toContain("location @app { proxy_pass http://hop3_shop;");
  });

  it("denies dot-files but not .well-known, in every kind of site", () => {
    for (const route of [
      { app: "a", hosts: ["a.localhost"], upstreams: [], staticDir: "/srv/a" },
      { app: "b", hosts: ["b.localhost"], upstreams: [{ host: "127.0.0.1", port: 1 }] },
    ]) {
      expect(compact(renderSite(route, settings, layout))).toContain("location ~ /\\.(?!well-known(/|$)) { deny all; }");
    }
  });

  it("listens on an IPv6 bind address in brackets", () => {
    const v6 = resolveNginxSettings({ httpPort: 9000, bindAddress: "::1" }, {}, true);
    expect(renderSite({ app: "a", hosts: ["a.localhost"], upstreams: [], staticDir: "/srv/a" }, v6, layout)).toContain("listen [::1]:9000;");
  });
});

describe("renderSite with certificates", () => {
  const route = { app: "shop", hosts: ["shop.localhost", "shop.example.org", "www.example.org"], upstreams: [{ host: "127.0.0.1", port: 5000 }] };
  const certificateOf = (host: string) => (host === "www.example.org" ? undefined : { served: `/srv/hop3/tls/certs/${host}/served.pem`, digest: `d-${host}` });

  it("serves each name with a certificate over HTTPS with HTTP/2, and redirects HTTP for public names but for ACME challenges", () => {
    const site = compact(renderSite(route, settings, layout, certificateOf));
    // Local names keep plain HTTP (a browser may not trust the local CA); names without a certificate too.
    expect(site).toContain("server { listen 127.0.0.1:8080; server_name shop.localhost www.example.org;");
    expect(site).toContain(
      'server { listen 127.0.0.1:8080; server_name shop.example.org; location ^~ /.well-known/acme-challenge/ { alias "/srv/hop3/tls/acme-challenge/"; default_type text/plain; } location / { return 301 https://$host:8443$request_uri; } }',
    );
    expect(site).toContain('server { listen 127.0.0.1:8443 ssl http2; server_name shop.example.org; ssl_certificate "/srv/hop3/tls/certs/shop.example.org/served.pem"; ssl_certificate_key "/srv/hop3/tls/certs/shop.example.org/served.pem";');
    expect(site).toContain("server { listen 127.0.0.1:8443 ssl http2; server_name shop.localhost;");
    expect(site).not.toContain("server_name www.example.org; ssl_certificate");
    // The certificate's digest is in the file: a renewed certificate changes it, and nginx reloads.
    expect(site).toContain("# Certificate sha256:d-shop.example.org server {");
    expect(site).not.toContain("Strict-Transport-Security");
  });

  it("sends HSTS, when set, for public names only, and drops the port from redirects on 443", () => {
    const site = compact(renderSite(route, { ...settings, httpsPort: 443, hstsMaxAge: 31_536_000 }, layout, certificateOf));
    expect(site).toContain("return 301 https://$host$request_uri;");
    expect(site).toContain('server_name shop.example.org; ssl_certificate "/srv/hop3/tls/certs/shop.example.org/served.pem"; ssl_certificate_key "/srv/hop3/tls/certs/shop.example.org/served.pem"; add_header Strict-Transport-Security "max-age=31536000" always;');
    expect(site.match(/Strict-Transport-Security/g)).toHaveLength(1);
  });
});

describe("renderMainConfig", () => {
  it("keeps every path inside the prefix and includes the live sites", () => {
    const main = renderMainConfig(layout, settings);
    expect(main).toContain('pid "/srv/hop3/nginx/nginx.pid";');
    expect(main).toContain('error_log "/srv/hop3/nginx/logs/error.log" warn;');
    expect(main).toContain('access_log "/srv/hop3/nginx/logs/access.log";');
    for (const temp of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) {
      expect(main).toContain(`${temp}_temp_path "/srv/hop3/nginx/temp/${temp}";`);
    }
    expect(main).toContain('include "/srv/hop3/nginx/sites/*.conf";');
  });

  it("answers unknown hosts with a 404 and a short text from a default server, and ACME challenges for every name", () => {
    const main = compact(renderMainConfig(layout, settings));
    expect(main).toContain('server { listen 127.0.0.1:8080 default_server; server_name _; location ^~ /.well-known/acme-challenge/ { alias "/srv/hop3/tls/acme-challenge/"; default_type text/plain; }');
    expect(main).toContain('location / { default_type text/plain; return 404 "No Hop3 app answers to this host name.\\n"; }');
  });

  it("uses Mozilla's intermediate TLS settings, and listens for HTTPS (refusing unknown names) only once a certificate exists", () => {
    const main = renderMainConfig(layout, settings);
    expect(main).toContain("ssl_protocols TLSv1.2 TLSv1.3;");
    expect(main).toContain("ssl_prefer_server_ciphers off;");
    expect(main).not.toContain("ssl http2");
    expect(compact(renderMainConfig(layout, settings, "live", true))).toContain("server { listen 127.0.0.1:8443 ssl http2 default_server; server_name _; ssl_reject_handshake on; }");
  });

  it("lists exact site files in a candidate configuration", () => {
    const main = renderMainConfig(layout, settings, ["/srv/hop3/nginx/sites/a.conf", "/srv/hop3/nginx/staging/b.conf"]);
    expect(main).toContain('include "/srv/hop3/nginx/sites/a.conf";\n    include "/srv/hop3/nginx/staging/b.conf";');
    expect(main).not.toContain("*.conf");
  });

  it("sets the worker user only when Hop3 runs as root", () => {
    expect(renderMainConfig(layout, resolveNginxSettings({ user: "www-data" }, {}, true))).toContain("user www-data;");
    expect(renderMainConfig(layout, resolveNginxSettings({ user: "www-data" }, {}, false))).not.toMatch(/^user /m);
  });
});
