import type { NginxLayout } from "./layout.js";
import { listenAddress, type NginxSettings } from "./options.js";
import { quote } from "./quote.js";

/** The HTTPS `listen` line; nginx 1.22 takes HTTP/2 as a flag of `listen` (`http2 on` came in 1.25). */
export const tlsListen = (settings: Pick<NginxSettings, "bindAddress" | "httpPort" | "httpsPort">, defaultServer = false): string =>
  `listen ${listenAddress(settings, settings.httpsPort)} ssl http2${defaultServer ? " default_server" : ""};`;

/**
 * HTTP-01 challenges, answered from HOP3_HOME's challenge directory for every name (the ACME CA
 * fetches `http://<name>/.well-known/acme-challenge/<token>` on port 80). `^~` keeps the regex
 * locations (the dot-file rule) and the app itself out of it.
 */
export function challengeLocation(layout: NginxLayout, indent: string): string {
  return [
    `location ^~ /.well-known/acme-challenge/ {`,
    `    alias ${quote(`${layout.tls.challenges}/`)};`,
    "    default_type text/plain;",
    "}",
  ]
    .map((line) => `${indent}${line}`)
    .join("\n");
}
