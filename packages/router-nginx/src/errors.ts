import { defineErrors } from "@hop3/core";

/** How to get nginx, shared by NGINX_NOT_INSTALLED and the command-not-found path. */
export const INSTALL_NGINX_HINT =
  "Install nginx (on Debian or Ubuntu `apt-get install nginx`; Hop3 runs its own instance, the system service " +
  "may stay stopped), or give the full path of the binary in the router's `nginx` option.";

/**
 * Every code raised by @hop3/router-nginx. Codes are never renamed; each has a page under
 * docs/errors/<CODE>.md. An invalid app name keeps core's APP_NAME_INVALID.
 */
export const { catalog: nginxErrorCatalog, error: nginxError } = defineErrors({
  NGINX_NOT_INSTALLED: {
    title: "Hop3 routes apps through nginx, and nginx is not installed",
    hint: INSTALL_NGINX_HINT,
  },
  NGINX_CONFIG_INVALID: {
    title: "nginx refused the configuration (`nginx -t` failed); nothing was changed",
    hint: "Read nginx's [emerg] line quoted in the message: it names the file and line. The running configuration keeps serving.",
  },
  NGINX_START_FAILED: {
    title: "Hop3's nginx could not be started",
    hint: "Read the reason in the message; when the port is taken, stop the program holding it (`ss -ltnp 'sport = :PORT'` shows it) or choose another port with HOP3_HTTP_PORT.",
  },
  NGINX_RELOAD_FAILED: {
    title: "nginx did not take the new configuration; the previous one keeps serving",
    hint: "Read nginx's error quoted in the message (also in <HOP3_HOME>/nginx/logs/error.log); the site file was restored to its previous content.",
  },
  NGINX_STOP_FAILED: {
    title: "Hop3's nginx did not stop",
    hint: "Look for `nginx: master process` in `ps aux` and stop it by its pid (`kill -TERM <pid>`); its error log is <HOP3_HOME>/nginx/logs/error.log.",
  },
  NGINX_PREFIX_INVALID: {
    title: "The nginx directory under HOP3_HOME cannot be written into nginx configuration",
    hint: "Use a HOP3_HOME path made of letters, digits, spaces and / . _ - + @ (no quotes, `;`, `{`, `}`, `$`, backslash or control characters).",
  },
  NGINX_BUSY: {
    title: "Another Hop3 process kept the nginx configuration locked for too long",
    hint: "Wait for the other deploy to finish and try again (the message names its pid). A Hop3 process stuck there can be stopped with `kill <pid>`: a lock whose holder is gone is taken over at once.",
  },
  ROUTE_HOST_INVALID: {
    title: "A host name of the route is not valid",
    hint: "Use lowercase DNS names (letters, digits, hyphens, dot-separated labels, e.g. blog.example.org); no wildcards, ports, spaces or punctuation.",
  },
  ROUTE_HOST_CONFLICT: {
    title: "A host name of the route is already routed to another app",
    hint: "Remove the domain from the other app first, or choose another host name: one host name routes to one app.",
  },
  ROUTE_PATH_INVALID: {
    title: "The static directory of the route cannot be served safely",
    hint: "Give an absolute, normalized directory path other than `/`, without quotes, `;`, `{`, `}`, `$`, backslash or control characters.",
  },
  ROUTE_UPSTREAM_INVALID: {
    title: "A web worker address of the route is not valid",
    hint: "An upstream is an IP address or a host name with a port from 1 to 65535 (e.g. 127.0.0.1:5000).",
  },
  ROUTE_TARGET_MISSING: {
    title: "The route has nothing to serve: no web worker and no static directory",
    hint: "Give at least one upstream (a web worker) or a static directory; an app with neither is stopped, not routed (use remove).",
  },
});

/** A code of @hop3/router-nginx. */
export type NginxErrorCode = keyof typeof nginxErrorCatalog;
