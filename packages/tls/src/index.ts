export { tlsPlugin, tlsPlugin as default } from "./plugin.js";
export { resolveTlsSettings, LETS_ENCRYPT, LETS_ENCRYPT_STAGING, type TlsOptions, type TlsSettings } from "./options.js";
export { tlsErrorCatalog, type TlsErrorCode } from "./errors.js";
export {
  appHosts,
  backoffMs,
  certificateReports,
  certificatesHealth,
  renewalDue,
  renewCertificates,
  RENEW_BEFORE_DAYS,
  WARN_BEFORE_DAYS,
  type CertificateReport,
  type CertificatesHealth,
  type RenewOptions,
  type RenewOutcome,
} from "./certificates.js";
export { ensureLocalCa, issueLocalCertificate, localCaFiles } from "./local-ca.js";
export { issueAcmeCertificate } from "./acme.js";
export { readState, type CertificateState, type CertificateSource } from "./store.js";
export { certsCommands } from "./commands.js";
export { renewalTask } from "./maintenance.js";
/** What run-time plugin loading (HOP3_PLUGINS, package.json hop3.plugins) imports. */
export { tlsPlugin as hop3Plugin } from "./plugin.js";
