const USAGE_ERROR = Symbol.for("hop3.cli.usage-error");

/** Bad usage of the CLI itself (unknown option, missing argument): exit code 2. */
export class UsageError extends Error {
  readonly [USAGE_ERROR] = true;
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
  static is(value: unknown): value is UsageError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[USAGE_ERROR] === true;
  }
}
