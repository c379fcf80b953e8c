import { defineErrors } from "@hop3/core";

/**
 * Every code raised by @hop3/tls. Codes are never renamed; each has a page under
 * docs/errors/<CODE>.md. A failure to get a certificate never takes an app down: it keeps serving
 * over HTTP, or with its previous certificate, and the next `hop3 certs renew` tries again.
 */
export const { catalog: tlsErrorCatalog, error: tlsError } = defineErrors({
  TLS_ACME_CHALLENGE_FAILED: {
    title: "The ACME CA could not fetch the HTTP-01 challenge of a domain from this server",
    hint: "Point the domain's DNS (A/AAAA records) at this server and open port 80 to it; the message names the URL the CA tried. The app keeps serving over HTTP meanwhile, and `hop3 certs renew` tries again later.",
  },
  TLS_ACME_REFUSED: {
    title: "The ACME CA refused to issue a certificate for a domain",
    hint: "Read the CA's reason quoted in the message (a name it will not sign, a policy); the app keeps serving over HTTP meanwhile.",
  },
  TLS_ACME_RATE_LIMITED: {
    title: "The ACME CA's rate limit was reached",
    hint: "Nothing to do: Hop3 tries again after the delay shown by `hop3 certs`. Test with the staging CA (HOP3_ACME_STAGING=1), whose limits are far higher.",
  },
  TLS_ACME_UNAVAILABLE: {
    title: "The ACME CA could not be reached, or answered with a server error",
    hint: "Check this server's outbound HTTPS and the CA's status page; Hop3 tries again later with a growing delay, and every certificate in place keeps serving.",
  },
  TLS_CA_BUNDLE_UNREADABLE: {
    title: "The CA bundle given to trust the ACME server (HOP3_ACME_CA_BUNDLE) cannot be read",
    hint: "Give the path of a PEM file holding the certificate of the CA that signed the ACME server's HTTPS certificate, or unset HOP3_ACME_CA_BUNDLE to use the system's trusted CAs.",
  },
  TLS_STATE_INVALID: {
    title: "A certificate's files under HOP3_HOME/tls are unreadable or damaged",
    hint: "Remove the host's directory under <HOP3_HOME>/tls/certs/ named in the message; `hop3 certs renew` then issues a new certificate.",
  },
});

export type TlsErrorCode = keyof typeof tlsErrorCatalog;
