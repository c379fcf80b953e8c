import { readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import type { CommandRunner } from "./command.js";
import type { Router } from "./contracts/router.js";
import { writeJsonAtomic } from "./fs.js";
import type { Logger } from "./logger.js";
import type { Hop3Tokens } from "./tokens.js";

/** What time it is. Swapped in tests that need a fixed time. */
export interface Clock {
  now(): Date;
}

/** The machine's clock. */
export const systemClock: Clock = Object.freeze({ now: () => new Date() });

/**
 * Hop3's JSON state files (its records of what runs, for Hop3 alone). Values read are unknown:
 * every reader checks them with its zod schema (docs/reference/validation.md).
 */
export interface StateStore {
  /** The parsed JSON of `file`, or undefined when there is no such file. Unreadable or not JSON: throws. */
  read(file: string): unknown;
  /** Writes `value` as JSON, atomically, 0600. */
  write(file: string, value: unknown): void;
  /** Removes `file`; nothing happens when it is already gone. */
  remove(file: string): void;
}

/** State files on the local disk. */
export const fileStateStore: StateStore = Object.freeze({
  read(file: string): unknown {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    return JSON.parse(text);
  },
  write: (file: string, value: unknown) => writeJsonAtomic(file, value),
  remove: (file: string) => rmSync(file, { force: true }),
});

/** One HTTP GET. */
export interface HttpRequest {
  readonly url: string;
  /** The Host header, when it differs from the URL's (a proxy routes by it). */
  readonly host?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** What came back: the status and up to 64 KiB of the body. */
export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** Asks HTTP servers: how Hop3 checks that an app answers. */
export interface HttpClient {
  get(request: HttpRequest): Promise<HttpAnswer>;
}

const MAX_BODY = 65_536;

/** Plain HTTP over node:http (fetch cannot set the Host header a proxy routes by). */
export const nodeHttpClient: HttpClient = Object.freeze({
  get: ({ url, host, timeoutMs, signal }: HttpRequest) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const req = request(url, { headers: host === undefined ? {} : { Host: host }, timeout: timeoutMs, ...(signal && { signal }) }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (body.length < MAX_BODY) body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", reject);
      req.end();
    }),
});

/** The type of each core service token, for `services` overrides and `resolve`. */
export interface CoreServices {
  readonly [Hop3Tokens.CommandRunner]: CommandRunner;
  readonly [Hop3Tokens.Logger]: Logger;
  readonly [Hop3Tokens.Signal]: AbortSignal;
  readonly [Hop3Tokens.Clock]: Clock;
  readonly [Hop3Tokens.StateStore]: StateStore;
  readonly [Hop3Tokens.HttpClient]: HttpClient;
  readonly [Hop3Tokens.Router]: Router;
}

/**
 * Services put in place of the defaults, by token: core's (typed) or a plugin's own. Given to a
 * distribution (`createDistribution({ services })`) or to one operation (`operationContext({ services })`).
 */
export type ServiceOverrides = Partial<CoreServices> & { readonly [token: symbol]: unknown };
