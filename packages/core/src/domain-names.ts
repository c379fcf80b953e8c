import { coreError } from "./error-codes.js";
import { isValidHostName } from "./schemas/names.js";

/** At most this many domains per app: each is a server_name nginx matches on every request. */
export const MAX_DOMAINS = 100;

/**
 * A domain as nginx will see it: lowercase RFC 1123 labels, not `localhost` nor under it (the
 * `<app>.localhost` names belong to Hop3's apps). Raises DOMAIN_INVALID naming the problem.
 */
export function checkDomain(app: string, host: string): string {
  const fail = (why: string) => coreError("DOMAIN_INVALID", `${JSON.stringify(host)} cannot be a domain of ${app}: ${why}.`, { details: { app, host } });
  if (host !== host.toLowerCase() && isValidHostName(host.toLowerCase())) throw fail(`write it in lowercase (${host.toLowerCase()})`);
  if (!isValidHostName(host)) throw fail("a host name is dot-separated labels of a-z, 0-9 and '-', each 1 to 63 characters, not starting or ending with '-', 253 characters in all");
  if (host === "localhost" || host.endsWith(".localhost")) throw fail("names under .localhost are the ones Hop3 gives its apps (<app>.localhost)");
  return host;
}
