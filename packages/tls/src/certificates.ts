import { existsSync, readdirSync } from "node:fs";
import { Hop3Error, isLocalHostName, prepareTlsDirs, tlsLayout, type Distribution } from "@hop3/core";
import { issueAcmeCertificate } from "./acme.js";
import { issueLocalCertificate, signedByLocalCa } from "./local-ca.js";
import type { TlsSettings } from "./options.js";
import { describeCertificate, installCertificate, installedLeaf, readState, removeCertificatesExcept, writeState, type CertificateSource, type CertificateState } from "./store.js";

const DAY = 86_400_000;
/** Renewal starts this long before expiry, or at a third of the lifetime left for shorter-lived certificates. */
export const RENEW_BEFORE_DAYS = 30;
/** `hop3 doctor` warns about certificates that expire within this many days. */
export const WARN_BEFORE_DAYS = 14;

/** One host name of one app, and what Hop3 knows of its certificate. */
export interface CertificateReport {
  readonly app: string;
  readonly host: string;
  /** Who signs it: the local CA for local names, the ACME CA for public ones. */
  readonly source: CertificateSource;
  /** "valid", "renewal due", "expired", or "none" (never issued, or its files are gone). */
  readonly status: "valid" | "renewal due" | "expired" | "none";
  readonly issuer?: string;
  readonly notAfter?: string;
  readonly daysLeft?: number;
  readonly lastError?: CertificateState["lastError"];
  /** After a failure: when the next try is due. */
  readonly nextAttemptAt?: string;
}

/** The host names of every app (or of one): `<app>.localhost`, then its domains, from the app records. */
export function appHosts(distribution: Distribution, app?: string): Array<{ app: string; host: string }> {
  const apps = app === undefined ? distribution.apps().filter((a) => !("corrupt" in a)).map((a) => a.name) : [app];
  return apps.flatMap((name) => [`${name}.localhost`, ...distribution.domains(name)].map((host) => ({ app: name, host })));
}

/** What `hop3 certs` shows: each host name with its issuer, expiry and last error. Reads files only. */
export function certificateReports(distribution: Distribution, app?: string, now = new Date()): CertificateReport[] {
  return appHosts(distribution, app).map(({ app: name, host }) => {
    const leaf = installedLeaf(distribution.home, host);
    const state = readState(distribution.home, host);
    const source = sourceOf(host);
    const base = { app: name, host, source, ...(state?.lastError && { lastError: state.lastError }), ...(state?.nextAttemptAt && { nextAttemptAt: state.nextAttemptAt }) };
    if (leaf === undefined) return { ...base, status: "none" as const };
    const notBefore = new Date(leaf.validFrom);
    const notAfter = new Date(leaf.validTo);
    const status = notAfter <= now ? "expired" : renewalDue(notBefore, notAfter, now) ? "renewal due" : "valid";
    return { ...base, status, issuer: leaf.issuer.split("\n").reverse().join(", "), notAfter: notAfter.toISOString(), daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / DAY) };
  });
}

/**
 * Removes the certificates of names no app has anymore. Skipped while an app's record cannot be
 * read: its names are unknown, and its certificates must not go.
 */
function removeCertificatesOfNoApp(distribution: Distribution): string[] {
  if (distribution.apps().some((app) => "corrupt" in app)) return [];
  return removeCertificatesExcept(distribution.home, new Set(appHosts(distribution).map(({ host }) => host)));
}

/** Renewal is due 30 days before expiry, or at a third of the lifetime left when that is shorter. */
export function renewalDue(notBefore: Date, notAfter: Date, now: Date): boolean {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  const margin = Math.min(RENEW_BEFORE_DAYS * DAY, lifetime / 3);
  return notAfter.getTime() - now.getTime() <= margin;
}

const sourceOf = (host: string): CertificateSource => (isLocalHostName(host) ? "local" : "acme");

/** What `renewCertificates` did, host by host. */
export interface RenewOutcome {
  /** Issued now (new or renewed). */
  readonly issued: readonly { readonly app: string; readonly host: string; readonly source: CertificateSource; readonly notAfter: string }[];
  /** Failed now; each keeps serving as before (HTTP, or its previous certificate). */
  readonly failed: readonly { readonly app: string; readonly host: string; readonly code: string; readonly message: string; readonly nextAttemptAt: string }[];
  /** Not due yet, or waiting for the backoff after a failure. */
  readonly unchanged: readonly { readonly app: string; readonly host: string; readonly reason: string }[];
  /** Names no app has anymore, whose key and certificate were removed (a run over every app only). */
  readonly removed: readonly string[];
  /** Apps whose nginx configuration changed (the router reloads only for these). */
  readonly reloaded: readonly string[];
}

/** What `renewCertificates` takes besides the distribution. */
export interface RenewOptions {
  /** Only this app's names. */
  readonly app?: string;
  /** Issue even when not due, and ignore the backoff. */
  readonly force?: boolean;
  /**
   * Issue a first certificate for local names too (default true). Hop3's schedule passes false:
   * HTTPS for local names starts with an explicit `hop3 certs renew`, since it makes nginx listen
   * on HOP3_HTTPS_PORT and is of use only once the local CA is trusted; after that it is renewed.
   */
  readonly newLocal?: boolean;
  /** These names instead of the apps' (`appHosts`): for a program that routes apps of its own. */
  readonly hosts?: readonly { readonly app: string; readonly host: string }[];
  readonly now?: Date;
}

/**
 * Issues every missing certificate and renews the due ones: local names from the local CA, public
 * ones from the ACME CA. A failure is recorded for its name (code, message, next try with backoff)
 * and never stops the others; nothing of a failed issuance is installed. Then the router renders
 * the sites again, reloading nginx only when a certificate changed.
 */
export async function renewCertificates(distribution: Distribution, settings: TlsSettings, options: RenewOptions = {}): Promise<RenewOutcome> {
  const home = distribution.home;
  const now = options.now ?? new Date();
  prepareTlsDirs(home);
  const issued: Array<RenewOutcome["issued"][number]> = [];
  const failed: Array<RenewOutcome["failed"][number]> = [];
  const unchanged: Array<RenewOutcome["unchanged"][number]> = [];
  for (const { app, host } of options.hosts ?? appHosts(distribution, options.app)) {
    const source = sourceOf(host);
    const state = readState(home, host);
    const leaf = installedLeaf(home, host);
    const stale = leaf !== undefined && source === "local" && !signedByLocalCa(home, leaf.toString());
    if (leaf === undefined && source === "local" && options.newLocal === false) continue;
    const due = options.force || leaf === undefined || stale || renewalDue(new Date(leaf.validFrom), new Date(leaf.validTo), now);
    if (!due) {
      unchanged.push({ app, host, reason: `valid until ${new Date(leaf!.validTo).toISOString()}` });
      continue;
    }
    if (!options.force && state?.nextAttemptAt !== undefined && new Date(state.nextAttemptAt) > now) {
      unchanged.push({ app, host, reason: `waiting after ${state.failures} failure(s), next try at ${state.nextAttemptAt}` });
      continue;
    }
    try {
      const { certPem, keyPem } = source === "local" ? await issueLocalCertificate(home, host) : await issueAcmeCertificate(home, host, settings);
      installCertificate(home, host, certPem, keyPem);
      const described = describeCertificate(certPem);
      writeState(home, { host, source, ...described, failures: 0 });
      issued.push({ app, host, source, notAfter: described.notAfter! });
    } catch (error) {
      if (!Hop3Error.is(error)) throw error;
      const failures = (state?.failures ?? 0) + 1;
      const nextAttemptAt = new Date(now.getTime() + backoffMs(error.code, failures)).toISOString();
      writeState(home, {
        ...(state ?? { host, source }),
        host,
        source,
        lastError: { code: error.code, message: error.message, at: now.toISOString() },
        failures,
        nextAttemptAt,
      });
      failed.push({ app, host, code: error.code, message: error.message, nextAttemptAt });
    }
  }
  const removed = options.app === undefined && options.hosts === undefined ? removeCertificatesOfNoApp(distribution) : [];
  const router = issued.length > 0 || removed.length > 0 ? distribution.router() : undefined;
  const reloaded = router?.refreshCertificates ? await router.refreshCertificates(distribution.operationContext()) : [];
  return { issued, failed, unchanged, removed, reloaded };
}

/**
 * How long to wait after the n-th failure in a row: 5 minutes, doubling, at most a day; at least an
 * hour after a rate limit (the CA said so; trying sooner only extends it).
 */
export function backoffMs(code: string, failures: number): number {
  const doubling = Math.min(5 * 60_000 * 2 ** (failures - 1), DAY);
  return code === "TLS_ACME_RATE_LIMITED" ? Math.max(doubling, 3_600_000) : doubling;
}

/** What `hop3 doctor` says of the certificates installed under a HOP3_HOME. */
export interface CertificatesHealth {
  readonly installed: number;
  /** Those that expire within WARN_BEFORE_DAYS (or already have), with the last error renewing them. */
  readonly expiring: readonly { readonly host: string; readonly notAfter: string; readonly daysLeft: number; readonly lastError?: string }[];
}

/**
 * The installed certificates that expire within 14 days. Reads the store only (no app records, no
 * plugin), so doctor can run it when nothing else loads.
 */
export function certificatesHealth(home: string, now = new Date()): CertificatesHealth {
  const dir = tlsLayout(home).certs;
  const hosts = existsSync(dir) ? readdirSync(dir) : [];
  let installed = 0;
  const expiring: Array<CertificatesHealth["expiring"][number]> = [];
  for (const host of hosts) {
    const leaf = installedLeaf(home, host);
    if (leaf === undefined) continue;
    installed++;
    const notAfter = new Date(leaf.validTo);
    const daysLeft = Math.floor((notAfter.getTime() - now.getTime()) / DAY);
    if (daysLeft >= WARN_BEFORE_DAYS) continue;
    let lastError: string | undefined;
    try {
      const error = readState(home, host)?.lastError;
      lastError = error && `error[${error.code}]: ${error.message}`;
    } catch {
      lastError = "its state.json is damaged";
    }
    expiring.push({ host, notAfter: notAfter.toISOString(), daysLeft, ...(lastError !== undefined && { lastError }) });
  }
  return { installed, expiring };
}
