import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:https";
import { rootCertificates } from "node:tls";
import { join } from "node:path";
import { Hop3Error, tlsLayout, writeFileAtomic } from "@hop3/core";
import type { Client } from "acme-client";
import { tlsError } from "./errors.js";
import type { TlsSettings } from "./options.js";

/** A problem document the CA answered with (RFC 8555 section 6.7), as seen on the wire. */
interface Problem {
  readonly status: number;
  readonly type: string;
  readonly detail: string;
}

/**
 * Gets a certificate for one public host name from the ACME CA, answering its HTTP-01 challenge
 * from HOP3_HOME's challenge directory, which Hop3's nginx serves on the HTTP port for every name.
 * The key and certificate are only returned, never written: a failed order leaves nothing behind
 * (its challenge file is removed, its authorization deactivated by acme-client). Failures are coded:
 * TLS_ACME_CHALLENGE_FAILED (naming the domain and the URL the CA tried), TLS_ACME_RATE_LIMITED,
 * TLS_ACME_UNAVAILABLE, TLS_ACME_REFUSED.
 */
export async function issueAcmeCertificate(home: string, host: string, settings: TlsSettings): Promise<{ certPem: string; keyPem: string }> {
  const acme = await loadAcme();
  const agent = httpsAgent(settings);
  await checkReachable(settings.acmeDirectory, agent);
  const layout = tlsLayout(home);
  let challengeUrl: string | undefined;
  let problem: Problem | undefined;
  const recordProblem = (response: { status?: number; data?: unknown } | undefined) => {
    const data = response?.data as { type?: unknown; detail?: unknown } | undefined;
    if (typeof data?.type === "string" && data.type.startsWith("urn:ietf:params:acme:error:")) {
      problem = { status: response?.status ?? 0, type: data.type.slice("urn:ietf:params:acme:error:".length), detail: String(data.detail ?? "") };
    }
  };
  // acme-client has one axios instance: our agent, no retries of its own (Hop3 retries later with
  // backoff) and a look at each problem document, for this issuance only.
  const http = acme.axios;
  const acmeSettings = (http.defaults as unknown as { acmeSettings: Record<string, number> }).acmeSettings;
  const previous = { agent: http.defaults.httpsAgent as unknown, settings: { ...acmeSettings } };
  http.defaults.httpsAgent = agent;
  acmeSettings.retryMaxAttempts = 0;
  const interceptor = http.interceptors.response.use(
    (response) => (recordProblem(response), response),
    (error: { response?: { status?: number; data?: unknown } }) => (recordProblem(error.response), Promise.reject(error)),
  );
  try {
    const client = await accountClient(home, settings);
    const [key, csr] = await acme.crypto.createCsr({ commonName: host, altNames: [host] }, await acme.crypto.createPrivateEcdsaKey("P-256"));
    const cert = await client.auto({
      csr,
      ...(settings.email !== undefined && { email: settings.email }),
      termsOfServiceAgreed: true,
      challengePriority: ["http-01"],
      // The CA checks; a check of our own would go through the same DNS from this side, which proves nothing.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        challengeUrl = `http://${host}/.well-known/acme-challenge/${challenge.token}`;
        writeFileAtomic(join(layout.challenges, checkedToken(challenge.token)), keyAuthorization, 0o644);
      },
      challengeRemoveFn: async (_authz, challenge) => {
        rmSync(join(layout.challenges, checkedToken(challenge.token)), { force: true });
      },
    });
    return { certPem: cert, keyPem: key.toString() };
  } catch (error) {
    throw classify(error, host, settings.acmeDirectory, challengeUrl, problem);
  } finally {
    http.interceptors.response.eject(interceptor);
    http.defaults.httpsAgent = previous.agent;
    Object.assign(acmeSettings, previous.settings);
  }
}

/** Tokens are base64url (RFC 8555 section 8.1); anything else must not become a file name. */
function checkedToken(token: string): string {
  if (/^[A-Za-z0-9_-]{1,256}$/.test(token)) return token;
  throw tlsError("TLS_ACME_REFUSED", `The ACME CA sent a challenge token that is not base64url: ${JSON.stringify(token.slice(0, 80))}.`, { details: {} });
}

function classify(error: unknown, host: string, directory: string, challengeUrl: string | undefined, problem: Problem | undefined): Hop3Error {
  if (Hop3Error.is(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const details = { host, directory, ...(challengeUrl !== undefined && { challengeUrl }), ...(problem !== undefined && { problem }) };
  if (problem?.type === "rateLimited" || problem?.status === 429) {
    return tlsError("TLS_ACME_RATE_LIMITED", `The ACME CA ${directory} refused a certificate for ${host} for now: ${problem?.detail || message}`, { cause: error, details });
  }
  if ((problem !== undefined && (problem.status >= 500 || problem.type === "serverInternal")) || (problem === undefined && isNetworkFailure(error))) {
    return tlsError("TLS_ACME_UNAVAILABLE", `The ACME CA ${directory} failed while issuing for ${host}: ${problem?.detail || message}`, { cause: error, details });
  }
  if (challengeUrl !== undefined && !/rejectedIdentifier|caa/i.test(problem?.type ?? "")) {
    return tlsError(
      "TLS_ACME_CHALLENGE_FAILED",
      `The ACME CA could not validate ${host}: it fetched ${challengeUrl} and ${problem?.detail || message}. The app keeps serving over HTTP (or with its previous certificate).`,
      { cause: error, details },
    );
  }
  return tlsError("TLS_ACME_REFUSED", `The ACME CA ${directory} refused a certificate for ${host}: ${problem?.detail || message}`, { cause: error, details });
}

/** No answer from the CA at all (acme-client then fails on a missing response). */
const isNetworkFailure = (error: unknown): boolean =>
  error instanceof TypeError || (typeof (error as { code?: unknown })?.code === "string" && !(error as { response?: unknown }).response);

/** The system's CAs, plus HOP3_ACME_CA_BUNDLE's: verification stays on, with more roots trusted. */
function httpsAgent(settings: TlsSettings): Agent {
  if (settings.acmeCaBundle === undefined) return new Agent({ keepAlive: true });
  let bundle: string;
  try {
    bundle = readFileSync(settings.acmeCaBundle, "utf8");
  } catch (error) {
    throw tlsError("TLS_CA_BUNDLE_UNREADABLE", `Cannot read the ACME CA bundle ${settings.acmeCaBundle}: ${(error as Error).message}.`, { cause: error, details: { file: settings.acmeCaBundle } });
  }
  return new Agent({ keepAlive: true, ca: [...rootCertificates, bundle] });
}

/** One GET of the directory first, so a CA that is down is named as such, with the real reason. */
function checkReachable(directory: string, agent: Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (reason: string, cause?: unknown) =>
      reject(tlsError("TLS_ACME_UNAVAILABLE", `The ACME CA ${directory} cannot be reached: ${reason}.`, { cause, details: { directory } }));
    const req = request(directory, { agent, timeout: 15_000 }, (res) => {
      res.resume();
      if ((res.statusCode ?? 0) >= 500 || res.statusCode === 429) fail(`it answered HTTP ${res.statusCode}`);
      else resolve();
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 15 s")));
    req.on("error", (error) => fail(error.message, error));
    req.end();
  });
}

/** acme-client, loaded only to issue: it costs every command that loads the plugin about 150 ms of CPU. */
const loadAcme = async () => (await import("acme-client")).default;

/**
 * The ACME account of a directory URL: its key, made once, and its URL, kept once registered (both
 * 0600 under `<home>/tls/acme/`), so later orders reuse the account instead of registering again.
 */
async function accountClient(home: string, settings: TlsSettings): Promise<Client> {
  const acme = await loadAcme();
  const base = join(tlsLayout(home).acme, `account-${createHash("sha256").update(settings.acmeDirectory).digest("hex").slice(0, 16)}`);
  const keyFile = `${base}.pem`;
  const urlFile = `${base}.url`;
  let accountKey: Buffer;
  if (existsSync(keyFile)) {
    accountKey = readFileSync(keyFile);
  } else {
    accountKey = await acme.crypto.createPrivateEcdsaKey("P-256");
    writeFileAtomic(keyFile, accountKey, 0o600);
  }
  const directoryUrl = settings.acmeDirectory;
  if (existsSync(urlFile)) return new acme.Client({ directoryUrl, accountKey, accountUrl: readFileSync(urlFile, "utf8").trim() });
  const client = new acme.Client({ directoryUrl, accountKey });
  await client.createAccount({ termsOfServiceAgreed: true, ...(settings.email !== undefined && { contact: [`mailto:${settings.email}`] }) });
  writeFileAtomic(urlFile, `${client.getAccountUrl()}\n`, 0o600);
  return client;
}
