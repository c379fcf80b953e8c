import type { OperationContext } from "../contracts/common.js";
import type { HealthGateRequest } from "../contracts/deployer.js";
import type { Router } from "../contracts/router.js";
import { coreError } from "../error-codes.js";
import { sleep } from "../host/waiting.js";
import type { HttpClient } from "../services.js";
import type { BuildArtifact, Healthcheck } from "../schemas/artifact.js";

export interface HealthTarget {
  /** Where the router listens, "host:port". */
  readonly listen: string;
  /** The host name the router routes the app by. */
  readonly host: string;
  /** The app's URL, for messages. */
  readonly url: string;
  /** Path, body text, time for one answer (timeoutSeconds), pause between tries (intervalSeconds), tries (retries). */
  readonly check: Healthcheck;
  /** A static site, or an explicit health check, must answer 2xx or 3xx; otherwise anything below 500 counts. */
  readonly strict: boolean;
  /** How long the app has, in all, to answer (hop3.toml [run] start-timeout). */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** How it asks: the operation's HTTP client (a service a distribution or a test may swap). */
  readonly http: HttpClient;
}

export interface HealthResult {
  readonly status: number;
  readonly attempts: number;
  readonly elapsedMs: number;
}

/**
 * Asks an address (the router, or one instance) as a user would, until it answers or time runs out. A 502 or
 * 503 from the proxy means the app is not up yet.
 */
export async function waitUntilServing(target: HealthTarget): Promise<HealthResult> {
  const started = performance.now();
  const maxAttempts = target.check.retries === undefined ? Number.POSITIVE_INFINITY : target.check.retries + 1;
  let attempts = 0;
  let last = "no answer";
  while (performance.now() - started < target.timeoutMs && attempts < maxAttempts && !target.signal.aborted) {
    attempts++;
    try {
      const [hostname, port] = splitListen(target.listen);
      const address = hostname.includes(":") ? `[${hostname}]` : hostname;
      const { status, body } = await target.http.get({ url: `http://${address}:${port}${target.check.path}`, host: target.host, timeoutMs: (target.check.timeoutSeconds ?? 5) * 1000 });
      const bodyOk = target.check.contains === undefined || body.includes(target.check.contains);
      const statusOk = target.strict ? status >= 200 && status < 400 : status < 500;
      if (statusOk && bodyOk) return { status, attempts, elapsedMs: performance.now() - started };
      last = bodyOk ? `HTTP ${status}` : `HTTP ${status} without "${target.check.contains}" in the body`;
    } catch (error) {
      last = (error as Error).message;
    }
    // Quick tries first: most apps answer within a few hundred milliseconds.
    const pause = target.check.intervalSeconds === undefined ? Math.min(250, 20 * attempts) : target.check.intervalSeconds * 1000;
    await sleep(pause);
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const url = `${target.url.replace(/\/$/, "")}${target.check.path}`;
  throw coreError("HEALTH_CHECK_FAILED", `${url} did not answer as expected after ${attempts} tries in ${seconds} s (last: ${last}).`, {
    details: { url, last, attempts },
  });
}

/** "127.0.0.1:8080" or "[::1]:8080"; 0.0.0.0 is asked on loopback. */
function splitListen(listen: string): [string, number] {
  const colon = listen.lastIndexOf(":");
  let host = listen.slice(0, colon).replace(/^\[|\]$/g, "");
  if (host === "0.0.0.0" || host === "") host = "127.0.0.1";
  if (host === "::") host = "::1";
  return [host, Number(listen.slice(colon + 1))];
}

/** Default time a new release has to answer, when hop3.toml [run] start-timeout does not say. */
export const DEFAULT_START_TIMEOUT_SECONDS = 30;

/** What decides how a release is checked: hop3.toml [run] start-timeout and [healthcheck] of its source. */
export interface HealthSettings {
  readonly startTimeoutSeconds?: number;
  readonly healthcheck?: Healthcheck;
}

/**
 * The one health check of a release, asked at two places: `gate`, of each new web instance on its
 * own port, before any traffic goes to it (what a deployer that starts releases beside the
 * running one calls as `DeployContext.healthGate`); then `throughRouter`, of the app as a user
 * reaches it, to confirm it is served. Both ask the same path with the same rules and time.
 */
export interface ReleaseHealth {
  readonly gate: (request: HealthGateRequest) => Promise<void>;
  readonly throughRouter: (router: Router) => Promise<HealthResult>;
}

export function releaseHealth(app: string, settings: HealthSettings, artifact: BuildArtifact, context: OperationContext): ReleaseHealth {
  const { signal, http } = context;
  const explicit = artifact.runtime.healthcheck ?? settings.healthcheck;
  const check = explicit ?? { path: "/" };
  const timeoutMs = (settings.startTimeoutSeconds ?? DEFAULT_START_TIMEOUT_SECONDS) * 1000;
  const host = `${app}.localhost`;
  // A process answering anything below 500 is up (a 5xx, 503 while it warms up, is not), unless
  // the app says what it must answer; a static site, which nginx answers alone, must answer 2xx/3xx.
  const hasWeb = Object.keys(artifact.runtime.workers).some((name) => name !== "static");
  return {
    async gate({ upstreams }) {
      for (const upstream of upstreams) {
        const listen = upstream.host.includes(":") ? `[${upstream.host}]:${upstream.port}` : `${upstream.host}:${upstream.port}`;
        await waitUntilServing({ listen, host, url: `http://${listen}/`, check, strict: explicit !== undefined, timeoutMs, signal, http });
      }
    },
    async throughRouter(router) {
      const status = await router.status(context);
      return waitUntilServing({ listen: status.listen, host, url: router.urlFor(app), check, strict: !hasWeb || explicit !== undefined, timeoutMs, signal, http });
    },
  };
}
