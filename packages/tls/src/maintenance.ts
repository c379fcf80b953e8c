import type { MaintenanceTask } from "@hop3/core";
import { renewCertificates } from "./certificates.js";
import { resolveTlsSettings, type TlsOptions } from "./options.js";

/**
 * Renewal on Hop3's own schedule (`hop3 server maintain`, every minute): certificates due are
 * renewed, public names without one get one, failures wait for their backoff. Nothing due is a
 * few file reads; nginx reloads only when a certificate changed.
 */
export function renewalTask(options: TlsOptions | undefined): MaintenanceTask {
  return {
    apiVersion: 1,
    name: "tls-renewal",
    async run(distribution) {
      const outcome = await renewCertificates(distribution, resolveTlsSettings(options, distribution.env), { newLocal: false });
      return [
        ...outcome.issued.map((i) => `${i.host}: certificate ${i.source === "local" ? "from the local CA" : "from the ACME CA"}, valid until ${i.notAfter}`),
        ...outcome.failed.map((f) => `${f.host}: error[${f.code}]: ${f.message} (next try at ${f.nextAttemptAt})`),
        ...outcome.removed.map((host) => `${host}: certificate removed (no app has this name anymore)`),
        ...(outcome.reloaded.length > 0 ? [`nginx now serves the new certificates of: ${outcome.reloaded.join(", ")}`] : []),
      ];
    },
  };
}
