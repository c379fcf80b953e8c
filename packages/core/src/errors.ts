/**
 * One error type for everything a user can act on: a stable `code`, a message that says what
 * happened, and a `hint` that says what to do. Codes are never renamed; each has a page under
 * `docs/errors/<CODE>.md`.
 */

const HOP3_ERROR = Symbol.for("hop3.error");

/** What the catalog knows of a code: a short title and the default hint. */
export interface ErrorCodeInfo {
  /** One line, what went wrong in general ("hop3.toml is not valid TOML"). */
  readonly title: string;
  /** What the user can do about it. A specific error may override it. */
  readonly hint: string;
}

/** A set of codes owned by one package. */
export type ErrorCatalog<Code extends string = string> = Readonly<Record<Code, ErrorCodeInfo>>;

export interface Hop3ErrorInit {
  code: string;
  message: string;
  hint: string;
  cause?: unknown;
  /** Machine-readable facts (file, line, key, lastLines...) for --json output and tests. */
  details?: Readonly<Record<string, unknown>>;
}

export class Hop3Error extends Error {
  readonly code: string;
  readonly hint: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly [HOP3_ERROR] = true;

  constructor(init: Hop3ErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "Hop3Error";
    this.code = init.code;
    this.hint = init.hint;
    this.details = init.details ?? {};
  }

  /** Works across duplicate copies of this package, where `instanceof` does not. */
  static is(value: unknown): value is Hop3Error {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[HOP3_ERROR] === true;
  }

  toJSON(): { code: string; message: string; hint: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, hint: this.hint, details: this.details };
  }
}

export interface ErrorOptions {
  /** Replaces the catalog's hint when the situation allows a more precise one. */
  hint?: string;
  cause?: unknown;
  details?: Readonly<Record<string, unknown>>;
}

/** The function a package uses to raise its own codes, with hints taken from its catalog. */
export type ErrorFactory<Code extends string> = (code: Code, message: string, options?: ErrorOptions) => Hop3Error;

/** Declares a package's codes and returns the factory that raises them. */
export function defineErrors<const C extends Record<string, ErrorCodeInfo>>(
  catalog: C,
): { catalog: ErrorCatalog<Extract<keyof C, string>>; error: ErrorFactory<Extract<keyof C, string>> } {
  const error: ErrorFactory<Extract<keyof C, string>> = (code, message, options = {}) =>
    new Hop3Error({
      code,
      message,
      hint: options.hint ?? catalog[code]?.hint ?? "",
      cause: options.cause,
      details: options.details,
    });
  return { catalog, error };
}
