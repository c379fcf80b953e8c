import { request } from "node:http";
import type { Healthcheck } from "@hop3/core";
import { cliError } from "../errors.js";

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
}

export interface HealthResult {
  readonly status: number;
  readonly attempts: number;
  readonly elapsedMs: number;
}

/**
 * Asks the app through the router, as a user would, until it answers or time runs out. A 502 or
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
      const { status, body } = await get(target, (target.check.timeoutSeconds ?? 5) * 1000);
      const bodyOk = target.check.contains === undefined || body.includes(target.check.contains);
      const statusOk = target.strict ? status >= 200 && status < 400 : status < 500;
      if (statusOk && bodyOk) return { status, attempts, elapsedMs: performance.now() - started };
      last = bodyOk ? `HTTP ${status}` : `HTTP ${status} without "${target.check.contains}" in the body`;
    } catch (error) {
      last = (error as Error).message;
    }
    // Quick tries first: most apps answer within a few hundred milliseconds.
    const pause = target.check.intervalSeconds === undefined ? Math.min(250, 20 * attempts) : target.check.intervalSeconds * 1000;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const url = `${target.url.replace(/\/$/, "")}${target.check.path}`;
  throw cliError("HEALTH_CHECK_FAILED", `${url} did not answer as expected after ${attempts} tries in ${seconds} s (last: ${last}).`, {
    details: { url, last, attempts },
  });
}

function get(target: HealthTarget, timeoutMs: number): Promise<{ status: number; body: string }> {
  const [hostname, port] = splitListen(target.listen);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: target.check.path, headers: { Host: target.host }, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (body.length < 65_536) body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

/** "127.0.0.1:8080" or "[::1]:8080"; 0.0.0.0 is asked on loopback. */
export function splitListen(listen: string): [string, number] {
  const colon = listen.lastIndexOf(":");
  let host = listen.slice(0, colon).replace(/^\[|\]$/g, "");
  if (host === "0.0.0.0" || host === "") host = "127.0.0.1";
  if (host === "::") host = "::1";
  return [host, Number(listen.slice(colon + 1))];
}
